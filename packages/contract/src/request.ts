/**
 * Request parsing (SPEC §3.2–3.3): the checks run in this exact order, each with its exact
 * message: empty → too large → bad JSON / not an object → missing command (on a lane that names
 * the command: a body naming another) → denied verb → an envelope field of the wrong type
 * (`args must be a string, number or boolean`…).
 * Pure: bytes in, a typed request or a typed refusal out.
 */
import { BusErrorCode, BusMessage } from './errors.js';
import { MAX_NODE_ID_LENGTH, slugNodeId } from './subjects.js';
import { hookAssignmentVerbs, hookKind, hookVerbs } from './verb-hooks.js';

/** @default 65536 bytes, mod_event_agent's cap. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 65536;

/**
 * The header by which a driver whose requests carry a correlation id outside the body (RabbitMQ's
 * `correlation_id` property) hands it to the agent with a served request, and by which the agent
 * asks that driver to set it on a publish: a request's forward_to copies carry the id its direct
 * reply carries. Not a header of the bus: the driver maps it to its property both ways.
 */
export const CORRELATION_ID_HEADER = 'fsbus-request-correlation-id';

export interface BusRequest {
  command: string;
  args?: string;
  /** Slugified (SPEC §3: the same slug as on config). */
  node_id?: string;
  async?: boolean;
  forward_to?: string;
  correlation_id?: string;
  timeout_ms?: number;
  /** Every field of the request, for command-specific fields (endpoint, uuid, mode…). */
  fields: Readonly<Record<string, unknown>>;
}

/** What a refused request still tells us, so the refusal can be routed (async? forward? echo). */
export interface RequestHints {
  async: boolean;
  /** Slugified; set when the request names a node (a string), so a refusal can be routed too. */
  node_id?: string;
  forward_to?: string;
  correlation_id?: string;
  /** The command, once the body is known to have one (for the audit line of a refusal). */
  command?: string;
  /**
   * On a COMMAND_DENIED refusal, the verb the policy refused, lowercased: a wrapped one
   * (`bgapi hupall` → `hupall`), `?` for one that cannot be read, a built-in's own name.
   */
  denied_verb?: string;
}

export type ParseResult =
  | { ok: true; request: BusRequest }
  | { ok: false; code: BusErrorCode; message: string; hints: RequestHints };

export interface VerbPolicy {
  /** Verbs refused (case-insensitive): every verb the command runs, and a built-in command by its name. */
  denylist?: readonly string[];
  /** When non-empty, only these verbs pass (case-insensitive); FreeSWITCH verbs only, never a built-in. */
  allowlist?: readonly string[];
}

export interface ParseOptions extends VerbPolicy {
  /** @default DEFAULT_MAX_PAYLOAD_BYTES */
  maxPayloadBytes?: number;
  /**
   * Whether the verb policy applies to this command. mod_event_agent's denylist guards the generic
   * API fallback; built-ins (agent.status, hangup…) decide through this predicate.
   * @default every command
   */
  policyApplies?: (command: string, hints: RequestHints) => boolean;
  /**
   * Whether the command is one of the caller's built-ins (not a FreeSWITCH API): the denylist
   * refuses it when an entry is its name (an operator's `originate` means the command too); the
   * allowlist, a list of FreeSWITCH verbs, leaves it alone.
   * @default none: every command is read as a FreeSWITCH command line
   */
  isBuiltin?: (command: string) => boolean;
  /**
   * The command when the lane names it (`<prefix>.cmd.async.<command>`): the body may then be
   * empty or leave `command` out; a `command` of its own must be the same (trimmed,
   * case-sensitive), else the request is refused naming both. The other checks run on the body as sent.
   * @default the body's `command`
   */
  command?: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function parseRequest(bytes: Uint8Array, options: ParseOptions = {}): ParseResult {
  const max = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const noHints: RequestHints = { async: false };
  const laneCommand = options.command;
  if (bytes.byteLength === 0 && laneCommand === undefined) return refuse(BusErrorCode.EMPTY_PAYLOAD, BusMessage.EMPTY_PAYLOAD, noHints);
  if (bytes.byteLength > max) return refuse(BusErrorCode.PAYLOAD_TOO_LARGE, BusMessage.PAYLOAD_TOO_LARGE, noHints);
  let value: unknown = {};
  let text = '';
  if (bytes.byteLength > 0) {
    try {
      text = decoder.decode(bytes);
      value = JSON.parse(text);
    } catch {
      return refuse(BusErrorCode.INVALID_JSON, BusMessage.INVALID_JSON, noHints);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse(BusErrorCode.INVALID_JSON, BusMessage.INVALID_JSON, noHints);
  }
  // A shallow copy when the lane names the command: the body's nesting is never walked again.
  // (Object.assign: `{ ...value, command }` makes a slow object on Node 20's V8, docs/benchmarks.md.)
  const fields = laneCommand === undefined ? (value as Record<string, unknown>) : Object.assign({}, value as Record<string, unknown>, { command: laneCommand });
  const hints = hintsOf(fields, text);
  if (laneCommand !== undefined) {
    // Never run a body meant for another command as the subject's (`uuid_exists probe-7` as `status probe-7`).
    const other = otherCommandInBody(value as Record<string, unknown>, laneCommand);
    if (other !== undefined) {
      hints.command = laneCommand.trim();
      return refuse(BusErrorCode.INVALID_ARGUMENT, other, hints);
    }
  }
  const command = fields['command'];
  if (typeof command !== 'string' || command.trim() === '') {
    return refuse(BusErrorCode.MISSING_COMMAND, BusMessage.MISSING_COMMAND, hints);
  }
  hints.command = command.trim();
  const applies = options.policyApplies ?? (() => true);
  const rawArgs = fields['args'];
  const argsText = typeof rawArgs === 'string' || typeof rawArgs === 'number' || typeof rawArgs === 'boolean' ? String(rawArgs) : undefined;
  if (applies(hints.command, hints)) {
    const refused = options.isBuiltin?.(hints.command) === true ? refusedBuiltin(hints.command, options) : refusedVerb(hints.command, options, argsText);
    if (refused !== undefined) {
      hints.denied_verb = refused;
      return refuse(BusErrorCode.COMMAND_DENIED, BusMessage.COMMAND_DENIED, hints);
    }
  }
  const wrong = wrongTypedField(fields);
  if (wrong !== undefined) return refuse(BusErrorCode.INVALID_ARGUMENT, wrong, hints);
  const request: BusRequest = { command: command.trim(), fields };
  const args = fields['args'];
  if (typeof args === 'string') request.args = args;
  else if (typeof args === 'number' || typeof args === 'boolean') request.args = String(args);
  if (hints.node_id !== undefined) request.node_id = hints.node_id;
  if (hints.async) request.async = true;
  if (hints.forward_to !== undefined) request.forward_to = hints.forward_to;
  if (hints.correlation_id !== undefined) request.correlation_id = hints.correlation_id;
  const timeout = fields['timeout_ms'];
  if (typeof timeout === 'number') request.timeout_ms = Math.max(1, Math.floor(timeout));
  return { ok: true, request };
}

/** The leading verb of a command, lowercased: `"Show  channels"` → `show`. */
export function leadingVerb(command: string): string {
  return (command.trim().split(/\s+/)[0] ?? '').toLowerCase();
}

/**
 * FreeSWITCH APIs that run another API given in their own arguments: how many words come before
 * it, and an optional word that may precede those (`expand uuid:<id> <cmd>`, `xml_wrap encoded <cmd>`).
 * `bgapi <cmd>`, `expand [uuid:<id>] <cmd>`, `sched_api <time> <group> <cmd>[&]`, `xml_wrap [encoded] <cmd>`.
 * `json <json>` takes the rest of the line as JSON: see jsonVerbs.
 */
const WRAPPERS: Readonly<Record<string, { skip: number; optional?: (word: string) => boolean }>> = {
  bgapi: { skip: 0 },
  expand: { skip: 0, optional: (w) => w.toLowerCase().startsWith('uuid:') },
  sched_api: { skip: 2 },
  xml_wrap: { skip: 0, optional: (w) => w.toLowerCase() === 'encoded' },
};

/** A verb that cannot be read for certain (odd spacing, a name built from variables): no list admits it. */
const UNCLEAR = '?';

/** Wrappers inside wrappers (`json` → fsapi `json` → …) past this depth are UNCLEAR. */
const MAX_WRAP_DEPTH = 8;

/** `${…}` expansions read in one command; a command with more is UNCLEAR. */
const MAX_EXPANSIONS = 64;

/**
 * What a channel API of CHANNEL_RUNNERS given `args` (its words) runs besides itself:
 * `uuid_broadcast <uuid> <app>::<args> [leg]` and `sched_broadcast <time> <uuid> <app>::<args>`
 * run the application (`<app>!<cause>::…` too; a path without `::` plays a file, switch_ivr_broadcast);
 * `uuid_setvar <uuid> <name> <value>` a hook variable's API or application (verb-hooks.ts).
 */
const CHANNEL_RUNNERS = new Set(['uuid_broadcast', 'sched_broadcast', 'uuid_setvar']);

function channelVerbs(verb: string, args: readonly string[], depth: number): string[] {
  if (verb === 'uuid_broadcast' || verb === 'sched_broadcast') {
    const path = args.slice(verb === 'uuid_broadcast' ? 1 : 2).join(' ').replace(/^['"]+/, '');
    const cut = path.indexOf('::');
    if (cut < 0) return [];
    const app = asciiLower(path.slice(0, cut).split('!')[0]!.trim());
    return [/^[^\s]+$/.test(app) ? app : UNCLEAR];
  }
  if (verb === 'uuid_setvar') {
    const kind = hookKind(args[1]?.trim() ?? '');
    return kind === undefined ? [] : hookVerbs(kind, args.slice(2).join(' '), (line) => chainVerbs(line, depth));
  }
  return [];
}

/** The wrapper chain read from `words`: the leading verb, then each wrapped one. */
function wrapperChain(words: readonly string[], depth: number): string[] {
  const verbs: string[] = [];
  let i = 0;
  while (i < words.length) {
    // switch_api_execute trims the name; sched_api's `&` (run in the background) is not part of it.
    const verb = words[i]!.trim().toLowerCase().replace(/&$/, '');
    // An empty word where a wrapper's command goes: FreeSWITCH may read past it, we cannot tell.
    if (verb === '') {
      if (i > 0) verbs.push(UNCLEAR);
      break;
    }
    verbs.push(verb);
    if (CHANNEL_RUNNERS.has(verb)) {
      verbs.push(...channelVerbs(verb, words.slice(i + 1), depth));
      break;
    }
    if (verb === 'json') {
      verbs.push(...jsonVerbs(words.slice(i + 1).join(' '), depth + 1));
      break;
    }
    const wrapper = WRAPPERS[verb];
    if (wrapper === undefined) break;
    i++;
    if (wrapper.optional !== undefined && i < words.length && wrapper.optional(words[i]!.trim())) i++;
    i += wrapper.skip;
  }
  return verbs;
}

/**
 * The API calls `${name args}` and `${name(args)}` expansions make, as FreeSWITCH reads them
 * (switch_channel_expand_variables_check): the braces matched (nested ones included), the name
 * ending at the first blank or `(` (`${system touch x}` runs `system` as `${system(touch x)}`
 * does; `${domain}` is a variable); each as the command line it runs (`name args`: a wrapper's
 * own argument runs too, `${bgapi system id}`). A name that is not a plain word
 * (`${sys${x}tem(id)}`, expanded before it runs; `${ system(id)}`) is UNCLEAR.
 */
function expansionCalls(text: string): string[] {
  // Each is matched by a scan to its closing brace: past a bound (no real command comes close) a
  // crafted `${${${…` would cost the agent seconds of CPU; the command is refused instead.
  if (text.split('${', MAX_EXPANSIONS + 2).length > MAX_EXPANSIONS + 1) return [UNCLEAR];
  const calls: string[] = [];
  for (let at = text.indexOf('${'); at >= 0; at = text.indexOf('${', at + 2)) {
    const body = expansionBody(text, at + 2);
    // The scan, and the arguments read again as a command line: charged to the budget.
    if (!spendReadWork(body.length * 2)) return [...calls, UNCLEAR];
    const call = apiCall(body);
    if (call === undefined) continue; // a variable, not a call
    calls.push(/^[A-Za-z0-9_]+$/.test(call.name) ? `${call.name} ${call.args}`.trim() : UNCLEAR);
  }
  return calls;
}

/** The text of the `${…}` opened before `from`, up to its closing brace (or the end): FreeSWITCH's count. */
function expansionBody(text: string, from: number): string {
  let level = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (level === 1 && c === '}') return text.slice(from, i);
    // A `{` right after `${` is not counted.
    if (c === '{' && i !== from) level++;
    else if (c === '}' && level > 1) level--;
  }
  return text.slice(from);
}

/** An expansion's API name and arguments (the name ends at the first blank or `(`); undefined for a variable. */
function apiCall(body: string): { name: string; args: string } | undefined {
  const at = body.search(/[ (]/);
  if (at < 0) return undefined;
  let level = body[at] === '(' ? 1 : 0;
  let end = body.length;
  for (let i = at + 1; i < body.length; i++) {
    if (body[i] === '(') level++;
    else if (body[i] === ')' && level > 1) level--;
    else if (body[i] === ')' && level === 1) {
      end = i;
      break;
    }
  }
  return { name: body.slice(0, at), args: body.slice(at + 1, end) };
}

/**
 * The verbs the expansions in `text` run, each call read as a command line of its own (its
 * wrapper chain: the calls nested in it are among the calls of `text` already).
 */
function expansionVerbs(text: string, depth: number): string[] {
  return expansionCalls(text).flatMap((call) => (call === UNCLEAR ? [UNCLEAR] : chainVerbs(call, depth)));
}

/**
 * Every verb `api <command> <args>` may run, lowercased: the leading one, the one each wrapper runs
 * (`bgapi expand system id` → bgapi, expand, system), what `json` runs (jsonVerbs), and any API
 * called in a `${name args}` / `${name(args)}` expansion, the app uuid_broadcast runs, a hook
 * variable's API or app (verb-hooks.ts). FreeSWITCH's wrappers split their arguments at single spaces (a tab stays inside a
 * word, two spaces make an empty one, or none where a parser collapses them) where a reader would
 * split at runs of whitespace: every reading is taken, so odd spacing cannot slide a verb past the
 * lists; a verb that stays unclear is `?`, which no list admits.
 */
export function invokedVerbs(command: string, args?: string): string[] {
  jsonReadsLeft = MAX_JSON_READS;
  readWorkLeft = MAX_READ_WORK;
  return [...verbsOf(`${command} ${args ?? ''}`.trim(), 0)];
}

/**
 * `json` arguments read in one invokedVerbs call: each of the three readings of a level reads its
 * JSON again, so nesting would cost 3^depth parses of up to the whole payload (250 ms for 13 KB
 * nested 8 deep); past the budget a `json` is UNCLEAR. Reset per call (the reading is synchronous).
 */
const MAX_JSON_READS = 24;
let jsonReadsLeft = MAX_JSON_READS;

/**
 * Characters the expansion and hook-variable readings may scan in one invokedVerbs call (8 times
 * the default payload cap): nested `${x(` over a long argument would scan the payload once per
 * level and split it three ways (63 levels of 64 KB: 0.8 s); past it the command is UNCLEAR.
 */
const MAX_READ_WORK = 1 << 19;
let readWorkLeft = MAX_READ_WORK;

function spendReadWork(chars: number): boolean {
  readWorkLeft -= chars;
  return readWorkLeft >= 0;
}

function verbsOf(text: string, depth: number): Set<string> {
  return new Set([...chainVerbs(text, depth), ...expansionVerbs(text, depth), ...hookAssignmentVerbs(text, (line) => chainVerbs(line, depth), spendReadWork)]);
}

/** The wrapper chain of `text` under every reading of its spacing. */
function chainVerbs(text: string, depth: number): string[] {
  const bySpace = text.split(' ');
  const readings = [text.split(/\s+/), bySpace, bySpace.filter((w) => w !== '')];
  return readings.flatMap((words) => wrapperChain(words, depth));
}

/** mod_commands' JSON APIs that run nothing given in the request. */
const INERT_JSON_COMMANDS = new Set(['status', 'mediastats', 'channeldata']);

/**
 * What `json <json>` runs (mod_commands): `fsapi` runs the API `data.cmd` with `data.arg`, read
 * like any command; `execute` runs the application `data.app` on a channel (its name is a verb:
 * the `system` application runs a shell command as the API does) with `data.arg`, whose
 * expansions the channel expands (and hook variables a `set` there sets). Anything else (another module's JSON API, text cJSON
 * might read otherwise) is UNCLEAR.
 */
function jsonVerbs(text: string, depth: number): string[] {
  const json = depth > MAX_WRAP_DEPTH || --jsonReadsLeft < 0 ? undefined : readCJson(text);
  if (!(json instanceof Map)) return [UNCLEAR];
  const command = json.get('command');
  if (typeof command !== 'string') return [UNCLEAR];
  const name = asciiLower(command);
  if (INERT_JSON_COMMANDS.has(name)) return [];
  const data = json.get('data');
  if (!(data instanceof Map)) return [UNCLEAR];
  // switch_api_execute / the application skip a missing arg; any other type is a shape we do not know.
  const arg = data.get('arg') ?? '';
  if (typeof arg !== 'string') return [UNCLEAR];
  if (name === 'fsapi') {
    const cmd = data.get('cmd');
    return typeof cmd === 'string' ? [...verbsOf(`${cmd} ${arg}`.trim(), depth)] : [UNCLEAR];
  }
  if (name === 'execute') {
    const app = data.get('app');
    if (typeof app !== 'string') return [UNCLEAR];
    // `app arg` and `app::arg` in the name pass an argument too.
    const appName = asciiLower(app.trim().split(/\s+|::/)[0] ?? '');
    const line = `${app} ${arg}`;
    // `set`/`export` of a hook variable: JSON escapes hide its `=` from the reading of the raw text.
    const hooks = hookAssignmentVerbs(line, (l) => chainVerbs(l, depth), spendReadWork);
    return [appName === '' ? UNCLEAR : appName, ...expansionVerbs(line, depth), ...hooks];
  }
  return [UNCLEAR];
}

/** FreeSWITCH's cJSON: a value, with object keys lowercased; `undefined` when not read for certain. */
type CJson = string | number | boolean | null | CJson[] | Map<string, CJson>;

const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\]:,]|[^\s{}[\]:,"]+/g;
/** U+0000 and lone surrogates: cJSON drops them where JSON.parse keeps them (`sys\u0000tem` is `system`). */
const CJSON_DROPS = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * JSON as FreeSWITCH's cJSON reads it: object keys match case-insensitively (ASCII) and the first
 * of a repeated key wins (JSON.parse keeps the last). Text JSON.parse refuses is not read.
 */
function readCJson(text: string): CJson | undefined {
  const tokens = text.match(JSON_TOKEN) ?? [];
  let at = 0;
  const str = (token: string): string => {
    const s = JSON.parse(token) as string;
    if (CJSON_DROPS.test(s)) throw new Error('cJSON reads this string otherwise');
    return s;
  };
  const value = (): CJson => {
    const token = tokens[at++] ?? '';
    if (token === '{') {
      const map = new Map<string, CJson>();
      for (; tokens[at] !== '}'; at += tokens[at] === ',' ? 1 : 0) {
        const key = asciiLower(str(tokens[at] ?? ''));
        at += 2; // the key and its `:`
        const v = value();
        if (!map.has(key)) map.set(key, v);
      }
      at++;
      return map;
    }
    if (token === '[') {
      const list: CJson[] = [];
      for (; tokens[at] !== ']'; at += tokens[at] === ',' ? 1 : 0) list.push(value());
      at++;
      return list;
    }
    return token.startsWith('"') ? str(token) : (JSON.parse(token) as number | boolean | null);
  };
  try {
    JSON.parse(text); // validates: the walk below trusts the tokens
    return value();
  } catch {
    // Invalid JSON, a string cJSON reads otherwise, or nesting deeper than the stack.
    return undefined;
  }
}

/** A verb list as the policy matches it: trimmed, lowercased, blanks left out; frozen. */
export function verbList(list: readonly string[]): readonly string[] {
  return Object.freeze(list.map((v) => v.trim().toLowerCase()).filter((v) => v !== ''));
}

/** verbList's of the frozen lists seen (the agent passes the same ones with every request): made once each. */
const verbLists = new WeakMap<readonly string[], readonly string[]>();
const NO_VERBS: readonly string[] = Object.freeze([]);

function lowered(list: readonly string[] | undefined): readonly string[] {
  if (list === undefined || list.length === 0) return NO_VERBS;
  // A list the caller may still change is read again each time.
  if (!Object.isFrozen(list)) return verbList(list);
  const known = verbLists.get(list);
  if (known !== undefined) return known;
  const verbs = verbList(list);
  verbLists.set(list, verbs);
  return verbs;
}

/**
 * Denylist wins; a non-empty allowlist admits only its verbs. Both apply to every verb the command
 * runs (`bgapi system …` is `system` too): a wrapper would otherwise walk any listed verb past them.
 */
export function isVerbPermitted(command: string, policy: VerbPolicy, args?: string): boolean {
  return refusedVerb(command, policy, args) === undefined;
}

/**
 * The first verb of the command line that the policy refuses (isVerbPermitted's rule), lowercased:
 * `?` for one that cannot be read; undefined when the command is permitted.
 */
export function refusedVerb(command: string, policy: VerbPolicy, args?: string): string | undefined {
  const deny = lowered(policy.denylist);
  const allow = lowered(policy.allowlist);
  // No lists (the default): nothing to read the command for, on the path of every command.
  if (deny.length === 0 && allow.length === 0) return undefined;
  const verbs = invokedVerbs(command, args);
  const denied = verbs.find((v) => v === UNCLEAR || deny.includes(v));
  if (denied !== undefined || allow.length === 0) return denied;
  return verbs.find((v) => !allow.includes(v));
}

/** A built-in command's name when a denylist entry names it (any case), else undefined: the allowlist is for FreeSWITCH verbs. */
function refusedBuiltin(command: string, policy: VerbPolicy): string | undefined {
  const name = command.trim().toLowerCase();
  return lowered(policy.denylist).includes(name) ? name : undefined;
}

/** A user-given name in a message: quoted, cut past 64 characters (the body may hold 64 KB of it). */
function quotedName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

/**
 * Why a body's own `command` may not go on the lane that names `laneCommand` (compared as the
 * contract compares command names: trimmed, case-sensitive), or undefined when it may (the same
 * name, or none: absent or null).
 */
function otherCommandInBody(body: Record<string, unknown>, laneCommand: string): string | undefined {
  const own = body['command'] ?? undefined;
  if (own === undefined) return undefined;
  const lane = quotedName(laneCommand.trim());
  if (typeof own !== 'string') {
    const kind = Array.isArray(own) ? 'an array' : typeof own === 'object' ? 'an object' : `a ${typeof own}`;
    return `the body's command must be a string, the subject's ${lane} (or left out): got ${kind}`;
  }
  const name = own.trim();
  if (name === laneCommand.trim()) return undefined;
  return `the body's command ${quotedName(name)} differs from the subject's ${lane}: the async lane runs only the command its subject names (leave command out of the body, or publish it to its own lane)`;
}

/** The refusal of a numeric correlation_id that would not come back as sent. */
const UNSAFE_CORRELATION_ID = `correlation_id must be a string, or an integer within ±${Number.MAX_SAFE_INTEGER} (2^53-1): send it as a string`;

/**
 * The first envelope field present with a type the contract does not allow, as a refusal message
 * naming it; `undefined` when all are fine. A wrong-typed field is refused, never dropped: a
 * dropped `args` would run the bare verb (`hupall` with no filter hangs up every channel).
 * `null` counts as absent.
 */
function wrongTypedField(fields: Record<string, unknown>): string | undefined {
  const present = (name: string): unknown => fields[name] ?? undefined;
  const args = present('args');
  if (args !== undefined && typeof args !== 'string' && !(typeof args === 'number' && Number.isFinite(args)) && typeof args !== 'boolean') {
    return 'args must be a string, number or boolean';
  }
  const nodeId = present('node_id');
  if (nodeId !== undefined && typeof nodeId !== 'string') return 'node_id must be a string';
  // UTF-16 code units of the slug, the hand-off subject's tail (`<prefix>.node.<slug>`), one `_` per
  // unit outside [a-z0-9_-]: counted in code points, 128 emoji would slug to 256; and lowercasing
  // can lengthen it (`İ` → `i` + U+0307), so 128 `İ` would too.
  if (typeof nodeId === 'string' && (nodeId.length > MAX_NODE_ID_LENGTH || slugNodeId(nodeId).length > MAX_NODE_ID_LENGTH)) {
    return `node_id must be at most ${MAX_NODE_ID_LENGTH} characters`;
  }
  const async = present('async');
  if (async !== undefined && typeof async !== 'boolean') return 'async must be a boolean';
  const bg = present('bg');
  if (bg !== undefined && typeof bg !== 'boolean') return 'bg must be a boolean';
  const forward = present('forward_to');
  if (forward !== undefined && typeof forward !== 'string') return 'forward_to must be a string';
  const corr = present('correlation_id');
  if (corr !== undefined && typeof corr !== 'string' && typeof corr !== 'number') return 'correlation_id must be a string or number';
  // Echoed as text: past 2^53 (or with a fraction, or past a double's range) the number JSON.parse
  // read is not the one sent, and a requester matching on its own digits would never recognise the reply.
  if (typeof corr === 'number' && !Number.isSafeInteger(corr)) return UNSAFE_CORRELATION_ID;
  const timeout = present('timeout_ms');
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0)) {
    return 'timeout_ms must be a positive number';
  }
  return undefined;
}

/** `text`: the body as sent, read again only for a correlation_id JSON.parse changed. */
function hintsOf(fields: Record<string, unknown>, text: string): RequestHints {
  const hints: RequestHints = { async: fields['async'] === true };
  const nodeId = fields['node_id'];
  if (typeof nodeId === 'string' && nodeId !== '') hints.node_id = slugNodeId(nodeId);
  const forward = fields['forward_to'];
  if (typeof forward === 'string' && forward.trim() !== '') hints.forward_to = forward.trim();
  const corr = fields['correlation_id'];
  if (typeof corr === 'string') hints.correlation_id = corr;
  else if (typeof corr === 'number' && Number.isSafeInteger(corr)) hints.correlation_id = String(corr);
  // Refused (UNSAFE_CORRELATION_ID, or an earlier check): its refusal still echoes the digits as sent.
  else if (typeof corr === 'number') hints.correlation_id = topLevelNumberText(text, 'correlation_id') ?? String(corr);
  return hints;
}

/**
 * The text of the number a top-level key of the JSON object `text` holds, as sent; the last of a
 * repeated key, as JSON.parse keeps it. `text` is known to be valid JSON.
 */
function topLevelNumberText(text: string, key: string): string | undefined {
  const tokens = text.match(JSON_TOKEN) ?? [];
  let depth = 0;
  let found: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '{' || token === '[') depth++;
    else if (token === '}' || token === ']') depth--;
    else if (depth === 1 && token.startsWith('"') && tokens[i + 1] === ':' && JSON.parse(token) === key) {
      const value = tokens[i + 2] ?? '';
      found = /^-?\d/.test(value) ? value : undefined;
    }
  }
  return found;
}

function refuse(code: BusErrorCode, message: string, hints: RequestHints): ParseResult {
  return { ok: false, code, message, hints };
}
