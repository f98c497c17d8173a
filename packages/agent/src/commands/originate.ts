/**
 * `originate` (SPEC §3.4): every field validated, and escaped or refused so that none can inject
 * arguments or variables into the originate line. Runs as bgapi with a preset origination_uuid
 * (and a preset Job-UUID), so both are known before FreeSWITCH answers — even on a timeout.
 */
import { randomUUID } from 'node:crypto';
import { BusError, BusErrorCode, channelUuidProblem, clipText, originateRingMs, originateWaitMs, type BusRequest } from '@fsbus/contract';
import { EslCommandError, EslInvalidArgumentError } from '@fsbus/esl';
import { ORIGINATED_LEG_VAR } from '../dialplan/originated-leg.js';
import { eslFailure } from './esl-failure.js';
import { fieldValue, optionalString, optionalValue, requiredString } from './field-messages.js';
import type { CommandContext, CommandHandler, CommandResult } from './registry.js';

const invalid = (message: string): CommandResult => ({ ok: false, code: BusErrorCode.INVALID_ARGUMENT, message });

/**
 * Characters a value may never carry: quotes and braces (they end or re-open FreeSWITCH's
 * `{…}` block and its quoting), backslashes (escape games), control characters (line breaks end
 * the Event Socket command), and `${` (FreeSWITCH would expand it, `${api(args)}` runs an API).
 */
const FORBIDDEN_VALUE = /['"{}\\\x00-\x1f\x7f]|\$\{/;

/** A variable value as FreeSWITCH's `{a=b,c=d}` parser reads it: `,` escaped as `\,`, blanks quoted. */
export function escapeVarValue(value: string): string {
  const escaped = value.replace(/,/g, '\\,');
  return / /.test(escaped) ? `'${escaped}'` : escaped;
}

/**
 * Variables the agent sets from its own fields, by lowercased name. FreeSWITCH keeps the last of a
 * repeated name, matched case-insensitively: a user's would override the preset uuid (the reply
 * would name no channel) or the ring time (the agent's wait would no longer match it).
 */
const AGENT_VARIABLES: Readonly<Record<string, string>> = {
  origination_uuid: 'uuid',
  originate_timeout: 'timeout',
  origination_caller_id_name: 'caller_id_name',
  origination_caller_id_number: 'caller_id_number',
};

/** `&app`, `&app(args)`: the application FreeSWITCH runs on the answered leg. */
const APP_EXTENSION = /^&[A-Za-z0-9_]+(\(.*\))?$/s;
/**
 * Why a preset `uuid` is not one FreeSWITCH can take as origination_uuid, or undefined. The same
 * rule as hangup's and execute_app's (channel-uuid.ts; a CRM's own ids, `crm_call.1`): none of `,` `}` `'` or a blank,
 * which would end or split the `{…}` block. FreeSWITCH itself takes any text; but its originate
 * splits its whole dial string, the block included, at `:_:` (enterprise originate).
 */
function uuidProblem(uuid: string): string | undefined {
  return channelUuidProblem(uuid) ?? splitsOriginate(uuid, 'uuid');
}

/** switch_ivr_originate's enterprise separator: it splits the whole dial string there, a value in the `{…}` block too. */
const ENTERPRISE_DELIMITER = ':_:';

/** Why a value of the `{…}` block would cut the originate in two, or undefined. */
function splitsOriginate(value: string, name: string): string | undefined {
  return value.includes(ENTERPRISE_DELIMITER) ? `${name} must not contain "${ENTERPRISE_DELIMITER}" (FreeSWITCH splits an originate there)` : undefined;
}

/**
 * The call a refusal is about: the request's own `uuid`, when it is one. An async originate's
 * forward_to copy is its only answer, and must say which call it was (an invalid uuid names none).
 */
function requestedUuid(fields: Readonly<Record<string, unknown>>): string | undefined {
  const uuid = optionalString(fields, 'uuid');
  return typeof uuid === 'string' && uuidProblem(uuid) === undefined ? uuid : undefined;
}

/**
 * `originate` is a built-in name, so `api('originate', 'user/1000 &park()')` lands here, not on
 * FreeSWITCH: its text would otherwise read as a missing endpoint.
 */
const TEXT_SYNTAX_HINT =
  "originate is the agent's own command: it takes fields, not FreeSWITCH's originate text in args, so send endpoint and extension (and optionally dialplan, context, caller_id_name, caller_id_number, timeout, variables, uuid), e.g. bus.originate({ endpoint, extension }) in the SDK or fsbus originate <endpoint> <extension>";

/** One word, no quoting or variable syntax. */
const WORD = /^[^\s'"{}[\]<>\\]+$/;

/** Builds the originate line, or says which field is wrong. */
export function buildOriginate(fields: Readonly<Record<string, unknown>>): { line: string; uuid: string } | { error: string } {
  const endpointLength = 'endpoint must be between 1 and 255 characters';
  const endpoint = requiredString(fields, 'endpoint', endpointLength);
  if (typeof endpoint !== 'string') return endpoint;
  if (endpoint.length < 1 || endpoint.length > 255) return { error: endpointLength };
  if (!WORD.test(endpoint) || endpoint.includes('${')) return { error: 'endpoint must not contain spaces, quotes, braces or brackets' };

  // `destination` is the alias: a refusal names the field the request used. An empty extension
  // beside a destination is a Go client's unset one (both fields in its struct).
  const extension = fieldValue(fields, 'extension');
  const destination = fieldValue(fields, 'destination');
  const destField = destination !== undefined && (extension === undefined || (extension === '' && destination !== '')) ? 'destination' : 'extension';
  const destLength = `${destField} must be between 1 and 255 characters`;
  const dest = requiredString(fields, destField, destLength);
  if (typeof dest !== 'string') return dest;
  if (dest.length < 1 || dest.length > 255) return { error: destLength };
  if (dest.startsWith('&')) {
    if (!APP_EXTENSION.test(dest) || FORBIDDEN_VALUE.test(dest)) return { error: `${destField} must be &app or &app(args) without quotes, braces or line breaks` };
  } else if (!WORD.test(dest) || dest.includes('${')) {
    return { error: `${destField} must not contain spaces, quotes or braces` };
  }

  const dialplan = optionalString(fields, 'dialplan') ?? 'XML';
  if (typeof dialplan !== 'string') return dialplan;
  if (!/^[A-Za-z0-9_]{1,63}$/.test(dialplan)) return { error: 'dialplan must be a dialplan name' };
  const context = optionalString(fields, 'context') ?? 'default';
  if (typeof context !== 'string') return context;
  if (context.length > 127) return { error: 'context must be 127 characters or fewer' };
  if (!/^[A-Za-z0-9_.-]+$/.test(context)) return { error: 'context must contain only letters, digits, _, . and -' };

  const vars: Array<[string, string]> = [];
  const uuidField = optionalString(fields, 'uuid');
  if (typeof uuidField === 'object') return uuidField;
  const badUuid = uuidField === undefined ? undefined : uuidProblem(uuidField);
  if (badUuid !== undefined) return { error: badUuid };
  const uuid = uuidField ?? randomUUID();
  vars.push(['origination_uuid', uuid]);
  for (const [key, varName] of [
    ['caller_id_name', 'origination_caller_id_name'],
    ['caller_id_number', 'origination_caller_id_number'],
  ] as const) {
    const v = optionalString(fields, key);
    if (v === undefined) continue;
    if (typeof v !== 'string') return v;
    if (v.length > 255 || FORBIDDEN_VALUE.test(v)) return { error: `${key} must be a string of at most 255 characters without quotes, braces or backslashes` };
    const split = splitsOriginate(v, key);
    if (split !== undefined) return { error: split };
    vars.push([varName, v]);
  }
  const timeout = optionalValue(fields, 'timeout', [0]);
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 3600) return { error: 'timeout must be an integer number of seconds (1-3600)' };
    vars.push(['originate_timeout', String(timeout)]);
  }
  const extra = fieldValue(fields, 'variables');
  if (extra !== undefined) {
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) return { error: 'variables must be an object' };
    for (const [k, raw] of Object.entries(extra as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(k)) return { error: `variable name '${clipText(k, 64)}' is not allowed (letters, digits, _, . and -)` };
      const field = AGENT_VARIABLES[k.toLowerCase()];
      if (field !== undefined) return { error: `variable ${k} is set by the agent: use the ${field} field` };
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') return { error: `variable ${k} must be a string, number or boolean` };
      const v = String(raw);
      if (v.length > 1024 || FORBIDDEN_VALUE.test(v)) return { error: `variable ${k} must be at most 1024 characters without quotes, braces, backslashes or line breaks` };
      const split = splitsOriginate(v, `variable ${k}`);
      if (split !== undefined) return { error: split };
      vars.push([k, v]);
    }
  }
  // FreeSWITCH routes the leg to its extension by a transfer: this tells park mode it is the leg's first routing. Last, so it wins.
  if (!dest.startsWith('&')) vars.push([ORIGINATED_LEG_VAR, uuid]);
  // leg_timeout, originate_retries and the retry sleeps can make FreeSWITCH ring past the wait.
  const ring = originateRingMs(fields);
  if ('error' in ring) return { error: ring.error };
  const varText = vars.map(([k, v]) => `${k}=${escapeVarValue(v)}`).join(',');
  const destArg = /\s/.test(dest) ? `'${dest}'` : dest;
  return { line: `originate {${varText}}${endpoint} ${destArg} ${dialplan} ${context}`, uuid };
}

/** A FreeSWITCH hangup cause name (`NO_ANSWER`, `USER_BUSY`, …). */
const CAUSE = /^[A-Z][A-Z0-9_]+$/;

/** `+OK <uuid>`: the channel FreeSWITCH made. */
const OK_UUID = /^\+OK\s+(\S+)/;

/**
 * Maps the BACKGROUND_JOB body of an originate onto the reply. FreeSWITCH places the call under a
 * uuid of its own when the preset one is taken (it logs `Duplicate UUID!` and goes on), so the
 * reply names the channel it made, and the one asked for as `requested_uuid`: a caller that
 * hangs up or watches the asked uuid would otherwise act on another call.
 */
export function originateOutcome(data: { uuid: string; job_uuid: string; result: string }): CommandResult {
  if (data.result.startsWith('+OK')) {
    const made = OK_UUID.exec(data.result)?.[1];
    if (made === undefined || made === data.uuid) return { ok: true, message: 'Call originated successfully', data };
    return { ok: true, message: `Call originated successfully, as ${made}: the uuid asked for was in use`, data: { ...data, uuid: made, requested_uuid: data.uuid } };
  }
  const m = /^-ERR\s+(\S+)/.exec(data.result);
  const cause = m?.[1];
  if (cause !== undefined && CAUSE.test(cause)) {
    return { ok: false, code: BusErrorCode.ORIGINATE_FAILED, message: `Call origination failed: ${cause}`, data: { ...data, cause } };
  }
  return { ok: false, code: BusErrorCode.COMMAND_FAILED, message: 'Call origination failed', data };
}

/**
 * Whether a preset uuid names a live channel (`uuid_exists`), or the failed result of asking. An
 * async originate has no reply to say FreeSWITCH placed the call under another uuid (the caller
 * holds the asked one, which names the OTHER call), so one in use is refused before the bgapi. A
 * call that takes the uuid between the check and the originate still gets through; its
 * forward_to reply says so (`requested_uuid`).
 */
async function uuidInUse(uuid: string, ctx: CommandContext): Promise<boolean | CommandResult> {
  try {
    return (await ctx.api(`uuid_exists ${uuid}`)).trim() === 'true';
  } catch (err) {
    if (err instanceof BusError) return { ok: false, code: err.code, message: err.message, data: { uuid } };
    const failed = eslFailure(err, ctx.timeoutMs);
    if (failed !== undefined) return { ...failed, data: { uuid } };
    throw err;
  }
}

export const originateCommand: CommandHandler = {
  name: 'originate',
  // Without timeout_ms, wait as long as FreeSWITCH may ring (every attempt, plus a grace), not the generic command timeout.
  waitMs: (request, configuredMs) => originateWaitMs(request.fields, configuredMs),
  async run(request: BusRequest, ctx: CommandContext): Promise<CommandResult> {
    const named = requestedUuid(request.fields);
    const refuse = (message: string): CommandResult => ({ ...invalid(message), ...(named === undefined ? {} : { data: { uuid: named } }) });
    if (request.args !== undefined && request.args.trim() !== '' && fieldValue(request.fields, 'endpoint') === undefined) return refuse(TEXT_SYNTAX_HINT);
    const built = buildOriginate(request.fields);
    if ('error' in built) return refuse(built.error);
    if (request.async === true && named !== undefined) {
      const inUse = await uuidInUse(built.uuid, ctx);
      if (inUse !== false) return inUse === true ? refuse(`uuid ${built.uuid} is in use by a live channel: no call was placed`) : inUse;
    }
    const jobUuid = randomUUID();
    let body: string;
    try {
      body = (await ctx.bgapi(built.line, jobUuid)).body;
    } catch (err) {
      // The bgapi itself answered `-ERR …`: no job runs, read like a failed job's result.
      if (err instanceof EslCommandError) return originateOutcome({ uuid: built.uuid, job_uuid: jobUuid, result: err.reply.trim() });
      // Never sent (no FreeSWITCH connection): no job to watch.
      if (err instanceof BusError) return { ok: false, code: err.code, message: err.message, data: { uuid: built.uuid } };
      // A line the ESL library refuses was never sent: no job. Timed out, or the connection closed
      // under it (FreeSWITCH link lost, shutdown past drain_timeout_ms): FreeSWITCH keeps the job
      // and the call may still connect, so say which uuid to watch.
      const failed = eslFailure(err, ctx.timeoutMs);
      if (failed !== undefined) return { ...failed, data: err instanceof EslInvalidArgumentError ? { uuid: built.uuid } : { uuid: built.uuid, job_uuid: jobUuid } };
      // A full FreeSWITCH queue (told and logged as busy by the dispatcher), or a fault.
      throw err;
    }
    return originateOutcome({ uuid: built.uuid, job_uuid: jobUuid, result: body.trim() });
  },
};
