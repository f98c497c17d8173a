/**
 * JSON Schemas (draft 2020-12) of each built-in command's request and of its success reply's
 * `data`, checked in as packages/contract/schemas/commands/<command>.json and
 * <command>.data.json. One file per type, each with its own `$id`: a code generator (quicktype,
 * go-jsonschema, datamodel-code-generator, json-schema-to-typescript) makes one named type per
 * file from its `title`, and resolves the envelope's `$ref` (../request.json) by that `$id` or
 * by path. A request schema is the envelope (`allOf`) plus the command's own fields, `command`
 * a `const`. They follow packages/agent/src/commands/*.ts: what a field's refusal
 * (FSBUS_ERR_BUS_INVALID_ARGUMENT) rests on is a type, length, pattern, enum or range here, and
 * what JSON Schema cannot say is in the `description` (test/command-schemas.test.ts runs both on
 * one table). An optional field sent as null, "" or (where 0 is no valid value) 0 is unset:
 * the schemas take those.
 */
import { HANGUP_CAUSES } from '@fsbus/esl';
import { PARK_AUDIO_MODES } from './park.js';

const SCHEMA = 'https://json-schema.org/draft/2020-12/schema';
const ID = 'https://fsbus.dev/schemas/commands/';

/** Said once on each command's `command`: the agent trims it, the const does not. */
const COMMAND_NOTE = 'matched case-sensitively; the agent trims surrounding blanks, this const does not (send it without)';

/** A character class for one ASCII letter in any case, as JavaScript's toUpperCase reads it (ı → I, ſ → S too). */
function anyCase(word: string): string {
  return [...word]
    .map((c) => {
      if (!/[A-Za-z]/.test(c)) return c;
      const extra = c.toUpperCase() === 'I' ? '\u0131' : c.toUpperCase() === 'S' ? '\u017f' : '';
      return `[${c.toUpperCase()}${c.toLowerCase()}${extra}]`;
    })
    .join('');
}

/** A number's decimal text with up to `width` digits, leading zeros allowed (FreeSWITCH's `\d{1,4}` cause numbers). */
const zeroPadded = (n: number, width: number): string => `0{0,${width - String(n).length}}${n}`;

/** The causes a request may name: every one but NONE (0), which is no cause to hang up with. */
const CAUSES = Object.entries(HANGUP_CAUSES).filter(([name]) => name !== 'NONE');

/**
 * A hangup cause as hangupCause() (hangup-cause.ts) takes it: a name in any case or its
 * number (a string of 1–4 digits, or a JSON integer), surrounding blanks trimmed, at most 64
 * characters; "" and 0 are unset (the default cause).
 */
function hangupCauseSchema(unset: string): object {
  const names = CAUSES.map(([name]) => anyCase(name));
  const numbers = [...new Set(CAUSES.map(([, n]) => n))].map((n) => zeroPadded(n, 4));
  return {
    anyOf: [
      { type: 'string', maxLength: 64, pattern: `^(?:|\\s*(?:${[...names, ...numbers].join('|')})\\s*)$` },
      { type: 'integer', enum: [0, ...new Set(CAUSES.map(([, n]) => n))] },
      { type: 'null' },
    ],
    description: `a FreeSWITCH hangup cause: its name in any case (NORMAL_CLEARING, user_busy) or its number (16, "16"); null, "" or 0 is unset: ${unset}; NONE and "0" are refused (no cause to hang up with). Not said by the pattern: the ligatures JavaScript's toUpperCase turns into ASCII letters (ﬀ → FF…), which the agent takes`,
  };
}

// Patterns stay within what both ECMA-262 (JSON Schema's dialect) and RE2 (Go's regexp) read:
// no lookaround, no \u escapes; a sequence a value must not hold is a `not` beside its pattern.
/** Characters an originate value may never carry (originate.ts FORBIDDEN_VALUE). */
const ORIGINATE_VALUE = `[^'"{}\\\\\\x00-\\x1f\\x7f]*`;
/** originate.ts WORD's characters (endpoint, a plain extension). */
const WORD_CHAR = `[^\\s'"{}\\[\\]<>\\\\]`;
/** An extension: `&app` / `&app(args)` without quotes, braces, backslashes or control characters, or one word not starting with `&`. */
const DEST = `&[A-Za-z0-9_]+(?:\\(${ORIGINATE_VALUE}\\))?|[^&\\s'"{}\\[\\]<>\\\\]${WORD_CHAR}*`;
/** A string that must not hold these sequences (a non-string passes). */
const without = (pattern: string) => ({ not: { type: 'string', pattern } });
/** `${` (FreeSWITCH expands it), `:_:` (its originate splits there). */
const NO_EXPANSION = without('\\$\\{');
const NO_EXPANSION_OR_SPLIT = without('\\$\\{|:_:');
const UTF16 = 'lengths are UTF-16 code units as the agent counts them; maxLength counts code points, so a character outside the BMP (an emoji) counts two for the agent and one here';
const CHANNEL_UUID = '[A-Za-z0-9_.:-]{2,63}';

/** originate.ts AGENT_VARIABLES: set from a field, refused in `variables` (any case). */
const AGENT_VARIABLES = ['origination_uuid', 'originate_timeout', 'origination_caller_id_name', 'origination_caller_id_number'];
/** originate-wait.ts RING_VARIABLES: integers (or strings of digits) in a range. */
const RING_VARIABLES: ReadonlyArray<[string, number, number]> = [
  ['leg_timeout', 1, 3600],
  ['originate_retries', 1, 100],
  ['originate_retry_sleep_ms', 500, 60_000],
  ['originate_retry_min_period_ms', 500, 300_000],
];

const VAR_NAME = '[A-Za-z0-9_.-]{1,64}';

/** A built-in command's request: the envelope and the command's own fields. */
function commandRequest(command: string, title: string, description: string, properties: Record<string, object>, required: readonly string[] = [], extra: object = {}) {
  return {
    $schema: SCHEMA,
    $id: `${ID}${command}.json`,
    title,
    description,
    allOf: [{ $ref: '../request.json' }],
    type: 'object',
    required: ['command', ...required],
    properties: { command: { const: command, description: COMMAND_NOTE }, ...properties },
    ...extra,
  };
}

function commandData(command: string, title: string, description: string, schema: object) {
  return { $schema: SCHEMA, $id: `${ID}${command}.data.json`, title, description, ...schema };
}

const originateRequest = commandRequest(
  'originate',
  'fsbus originate request',
  "Places a call (bgapi originate with a preset origination_uuid). Also refused, beyond this schema: an originate that could ring for more than 3600 s in all (attempts × '|' failover groups of the endpoint × the ring time, plus the retry sleeps: 'the originate could ring for up to <n> s …'); an async one whose uuid names a live channel ('uuid <uuid> is in use by a live channel: no call was placed'). Fields the agent does not know are ignored. " +
    "extension/destination: `destination` is extension's alias, read when extension is absent, null or \"\" (and destination is not \"\"); this schema also wants a destination sent beside a valid extension to be a string, which the agent would ignore. " +
    UTF16,
  {
    endpoint: { type: 'string', minLength: 1, maxLength: 255, pattern: `^${WORD_CHAR}+$`, ...NO_EXPANSION, description: "the dial string (user/1000, sofia/gateway/gw/123, a|b failover, a:_:b enterprise): no spaces, quotes, braces, brackets, backslashes or '${'" },
    extension: { type: ['string', 'null'], maxLength: 255, pattern: `^(?:${DEST})?$`, ...NO_EXPANSION, description: "where the answered leg goes: an extension (one word) routed by dialplan/context, or &app / &app(args); required unless destination is sent" },
    destination: { type: ['string', 'null'], maxLength: 255, pattern: `^(?:${DEST})?$`, ...NO_EXPANSION, description: 'the alias of extension' },
    dialplan: { type: ['string', 'null'], pattern: '^(?:[A-Za-z0-9_]{1,63})?$', description: 'null or "": XML' },
    context: { type: ['string', 'null'], maxLength: 127, pattern: '^[A-Za-z0-9_.-]*$', description: 'null or "": default' },
    caller_id_name: { type: ['string', 'null'], maxLength: 255, pattern: `^${ORIGINATE_VALUE}$`, ...NO_EXPANSION_OR_SPLIT, description: "no quotes, braces, backslashes, control characters, '${' or ':_:'; null or \"\": none set" },
    caller_id_number: { type: ['string', 'null'], maxLength: 255, pattern: `^${ORIGINATE_VALUE}$`, ...NO_EXPANSION_OR_SPLIT, description: "no quotes, braces, backslashes, control characters, '${' or ':_:'; null or \"\": none set" },
    timeout: { type: ['integer', 'null'], minimum: 0, maximum: 3600, description: "ring time in seconds (originate_timeout); null or 0: FreeSWITCH's 60" },
    uuid: { type: ['string', 'null'], pattern: `^(?:${CHANNEL_UUID})?$`, ...without(':_:'), description: "the call's uuid (origination_uuid), 2–63 letters, digits, -, _, . and :, not containing ':_:'; null or \"\": the agent makes one. Preset it: it names the call even when no reply comes" },
    variables: {
      type: ['object', 'null'],
      description: `channel variables ({name=value} on the originate line): names of 1–64 letters, digits, _, . and -, not ${AGENT_VARIABLES.join(', ')} (any case: their fields set them); values a string (at most 1024 characters, no quotes, braces, backslashes, control characters, '\${' or ':_:'), number or boolean. ${RING_VARIABLES.map(([n, lo, hi]) => `${n} ${lo}–${hi}`).join(', ')} (any case) must be integers in that range, or strings of at most 10 digits whose value is (the range of such a string is not said by its pattern)`,
      propertyNames: { pattern: `^${VAR_NAME}$`, not: { pattern: `^(?:${AGENT_VARIABLES.map(anyCase).join('|')})$` } },
      patternProperties: Object.fromEntries(
        RING_VARIABLES.map(([name, minimum, maximum]) => [`^${anyCase(name)}$`, { anyOf: [{ type: 'integer', minimum, maximum }, { type: 'string', pattern: '^[0-9]{1,10}$' }] }]),
      ),
      additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: 1024, pattern: `^${ORIGINATE_VALUE}$`, ...NO_EXPANSION_OR_SPLIT },
    },
  },
  ['endpoint'],
  {
    anyOf: [
      { required: ['extension'], properties: { extension: { type: 'string', minLength: 1 } } },
      { required: ['destination'], properties: { extension: { enum: [null, ''] }, destination: { type: 'string', minLength: 1 } } },
    ],
  },
);

const hangupRequest = commandRequest(
  'hangup',
  'fsbus hangup request',
  'Hangs a channel up (uuid_kill). Fields the agent does not know are ignored.',
  {
    uuid: { type: 'string', minLength: 2, maxLength: 63, pattern: '^[A-Za-z0-9_.:-]+$', description: "the channel's uuid: 2–63 letters, digits, -, _, . and :" },
    cause: hangupCauseSchema('NORMAL_CLEARING'),
  },
  ['uuid'],
);

const executeAppRequest = commandRequest(
  'execute_app',
  'fsbus execute_app request',
  "Runs a dialplan application on a live channel (sendmsg execute). Also refused, beyond this schema, for args sent as a sendmsg header (one line, not starting with a space): a NUL byte; and app+args mentioning both 'unload' or 'reload' and 'mod_event_socket' (any case): FreeSWITCH would run another command. Fields the agent does not know are ignored.",
  {
    uuid: { type: 'string', pattern: `^${CHANNEL_UUID}$`, description: "the channel's uuid: 2–63 letters, digits, -, _, . and : (\"\" is refused as missing)" },
    app: { type: 'string', pattern: '^[A-Za-z0-9_]{1,64}$', description: 'the application name (playback, bridge…)' },
    args: { type: ['string', 'null'], description: "the application's arguments, verbatim (execute_app takes only a string, not the envelope's number or boolean); null or \"\": none" },
    vars: {
      type: ['object', 'null'],
      description: 'channel variables set first (uuid_setvar): names of 1–64 letters, digits, _, . and -; values a string, number or boolean whose text is one non-empty line without NUL, not ending in a vertical tab',
      propertyNames: { pattern: `^${VAR_NAME}$` },
      additionalProperties: { type: ['string', 'number', 'boolean'], pattern: '^[^\\r\\n\\x00]*[^\\r\\n\\x00\\x0b]$' },
    },
    event_lock: { type: ['boolean', 'null'], description: 'null or false: none' },
  },
  ['uuid', 'app'],
);

const CORDON_NODE =
  "node_id: required on <prefix>.api, <prefix>.broadcast and the async lane (nothing else names the node there); on the node's own lane (<prefix>.node.<id>, <prefix>.api.<id>) it may be left out, and one naming another node is refused — which lane the request came on is beyond this schema";

const NO_FIELDS = 'No fields of its own: any other field is ignored.';

const dialplanAudioRequest = commandRequest(
  'dialplan.audio',
  'fsbus dialplan.audio request',
  'Sets park mode audio. Fields the agent does not know are ignored.',
  {
    mode: { enum: [...PARK_AUDIO_MODES] },
    music_class: { type: ['string', 'null'], maxLength: 63, pattern: '^[A-Za-z0-9_./-]*$', description: 'the local_stream class of music mode; null or "": unchanged' },
  },
  ['mode'],
);

const dialplanAutoanswerRequest = commandRequest('dialplan.autoanswer', 'fsbus dialplan.autoanswer request', 'Answers parked calls before parking, or not.', { enabled: { type: 'boolean' } }, ['enabled']);

const dialplanTimeoutRequest = commandRequest(
  'dialplan.timeout',
  'fsbus dialplan.timeout request',
  'Hangs parked calls up after `seconds`. Fields the agent does not know are ignored.',
  {
    seconds: { type: 'integer', minimum: 0, maximum: 86_400, description: '0: no park timeout (0 is a value here, not unset)' },
    cause: hangupCauseSchema('ALLOTTED_TIMEOUT, not the cause set before'),
  },
  ['seconds'],
);

/** dialplan.* data, agent.status's `park` (contract/src/park.ts ParkStatus). */
const parkStatus = {
  type: 'object',
  required: ['available', 'endpoint', 'enabled', 'mode', 'music_class', 'autoanswer', 'timeout_seconds', 'timeout_cause', 'calls_parked', 'parked_now', 'lookups', 'lookups_parked', 'state_file'],
  properties: {
    available: { type: 'boolean' },
    endpoint: { type: ['string', 'null'] },
    enabled: { type: 'boolean' },
    mode: { enum: [...PARK_AUDIO_MODES] },
    music_class: { type: 'string' },
    autoanswer: { type: 'boolean' },
    timeout_seconds: { type: 'integer', minimum: 0 },
    timeout_cause: { type: 'string' },
    calls_parked: { type: 'integer', minimum: 0 },
    parked_now: { type: 'integer', minimum: 0 },
    lookups: { type: 'integer', minimum: 0 },
    lookups_parked: { type: 'integer', minimum: 0 },
    state_file: { type: ['string', 'null'] },
  },
} as const;

const sharedLanes = {
  type: 'object',
  required: ['state', 'cordoned'],
  properties: { state: { enum: ['left', 'joining', 'joined', 'leaving'] }, cordoned: { type: 'boolean' } },
} as const;

const counters = { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } } as const;

const agentStatusData = commandData('agent.status', 'fsbus agent.status data', "The agent's snapshot; every field in docs/agent.md (Operations). New fields may be added.", {
  type: 'object',
  required: ['version', 'node_id', 'hostname', 'pid', 'instance_id', 'uptime', 'driver', 'subject_prefix', 'connected', 'ready', 'broker', 'esl', 'counters', 'shared_lanes', 'park'],
  properties: {
    version: { type: 'string' },
    node_id: { type: 'string' },
    hostname: { type: 'string' },
    pid: { type: 'integer' },
    instance_id: { type: 'string' },
    uptime: { type: 'integer', minimum: 0, description: 'seconds' },
    driver: { type: 'string' },
    subject_prefix: { type: 'string' },
    connected: { type: 'boolean' },
    ready: { type: 'boolean' },
    not_ready_reason: { type: 'string', description: 'only when not ready: what /readyz says' },
    node_id_conflict: { type: 'object', description: 'only while another agent answers for this node id' },
    broker: { type: 'object', required: ['status', 'reconnects', 'buffered_now'], properties: { status: { type: 'string' }, reconnects: { type: 'integer' }, buffered_now: { type: 'integer' }, blocked: {} } },
    esl: {
      type: 'object',
      required: ['status', 'events_subscription', 'auth', 'command_connections_ready', 'reconnects'],
      properties: { status: { type: 'string' }, events_subscription: { type: 'string' }, auth: { type: 'string' }, command_connections_ready: { type: 'integer' }, reconnects: { type: 'integer' } },
    },
    counters,
    shared_lanes: sharedLanes,
    park: parkStatus,
    command_policy: { type: 'object', description: 'the verb lists this node applies (denylist, allowlist)' },
  },
});

const channelUuid = { type: 'string', description: "the channel's uuid" } as const;

const originateData = commandData(
  'originate',
  'fsbus originate data',
  "A success's data. A failure's data is an object too: {uuid, job_uuid, result, cause} (FSBUS_ERR_BUS_ORIGINATE_FAILED), {uuid, job_uuid, result} (FSBUS_ERR_BUS_COMMAND_FAILED), {uuid, job_uuid} (timed out or connection lost: the call may still connect), {uuid} (never sent; a refusal naming a valid uuid), or none",
  {
    type: 'object',
    required: ['uuid', 'job_uuid', 'result'],
    properties: {
      uuid: { ...channelUuid, description: "the channel FreeSWITCH made (from +OK <uuid>): the uuid asked for, unless it was in use" },
      job_uuid: { type: 'string', description: 'the bgapi Job-UUID' },
      result: { type: 'string', description: "FreeSWITCH's raw result (+OK <uuid>)" },
      requested_uuid: { type: 'string', description: 'only when the uuid asked for was in use and FreeSWITCH placed the call under its own' },
    },
  },
);

const hangupData = commandData('hangup', 'fsbus hangup data', "A success's data; a channel gone is {uuid} (FSBUS_ERR_BUS_SESSION_NOT_FOUND), another FreeSWITCH refusal its raw text", {
  type: 'object',
  required: ['uuid', 'cause'],
  properties: { uuid: channelUuid, cause: { enum: CAUSES.map(([name]) => name), description: 'the canonical name of the cause used' } },
});

const executeAppData = commandData(
  'execute_app',
  'fsbus execute_app data',
  "A success's data (also on the error envelope forward_to gets when the completion will not come); a channel gone is {uuid} (FSBUS_ERR_BUS_SESSION_NOT_FOUND), FreeSWITCH's refusal its raw text",
  {
    type: 'object',
    required: ['application_uuid', 'uuid', 'app'],
    properties: { application_uuid: { type: 'string', description: 'the Application-UUID of its CHANNEL_EXECUTE_COMPLETE' }, uuid: channelUuid, app: { type: 'string' } },
  },
);

const cordonData = (command: string) =>
  commandData(command, `fsbus ${command} data`, 'The shared lanes at that moment', { type: 'object', required: ['shared_lanes'], properties: { shared_lanes: sharedLanes } });

const parkData = (command: string) => commandData(command, `fsbus ${command} data`, "The park status (also the data of a PARK_UNAVAILABLE or INTERNAL error)", parkStatus);

/** Every built-in command's request schema, by command name (registry.ts BUILTIN_COMMAND_NAMES). */
export const commandRequestSchemas = {
  'agent.status': commandRequest('agent.status', 'fsbus agent.status request', NO_FIELDS, {}),
  'agent.cordon': commandRequest('agent.cordon', 'fsbus agent.cordon request', `Leaves the shared lanes. ${CORDON_NODE}`, {}),
  'agent.uncordon': commandRequest('agent.uncordon', 'fsbus agent.uncordon request', `Joins the shared lanes again. ${CORDON_NODE}`, {}),
  hangup: hangupRequest,
  originate: originateRequest,
  execute_app: executeAppRequest,
  'dialplan.enable': commandRequest('dialplan.enable', 'fsbus dialplan.enable request', `Park mode on. ${NO_FIELDS}`, {}),
  'dialplan.disable': commandRequest('dialplan.disable', 'fsbus dialplan.disable request', `Park mode off. ${NO_FIELDS}`, {}),
  'dialplan.audio': dialplanAudioRequest,
  'dialplan.autoanswer': dialplanAutoanswerRequest,
  'dialplan.timeout': dialplanTimeoutRequest,
  'dialplan.status': commandRequest('dialplan.status', 'fsbus dialplan.status request', NO_FIELDS, {}),
} as const;

/** Each built-in command's success `data`, where its shape is fixed: every one of them. */
export const commandDataSchemas = {
  'agent.status': agentStatusData,
  'agent.cordon': cordonData('agent.cordon'),
  'agent.uncordon': cordonData('agent.uncordon'),
  hangup: hangupData,
  originate: originateData,
  execute_app: executeAppData,
  'dialplan.enable': parkData('dialplan.enable'),
  'dialplan.disable': parkData('dialplan.disable'),
  'dialplan.audio': parkData('dialplan.audio'),
  'dialplan.autoanswer': parkData('dialplan.autoanswer'),
  'dialplan.timeout': parkData('dialplan.timeout'),
  'dialplan.status': parkData('dialplan.status'),
} as const;

/** The checked-in files under packages/contract/schemas/. */
export const commandSchemaFiles: Readonly<Record<string, object>> = Object.fromEntries([
  ...Object.entries(commandRequestSchemas).map(([name, schema]): [string, object] => [`commands/${name}.json`, schema]),
  ...Object.entries(commandDataSchemas).map(([name, schema]): [string, object] => [`commands/${name}.data.json`, schema]),
]);
