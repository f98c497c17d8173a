/**
 * Request parsing (SPEC §3.2–3.3): the checks run in this exact order, each with its exact
 * message: empty → too large → bad JSON / not an object → missing command (on a lane that names
 * the command: a body naming another) → denied verb → an envelope field of the wrong type
 * (`args must be a string, number or boolean`…).
 * Pure: bytes in, a typed request or a typed refusal out.
 */
import { BusErrorCode, BusMessage } from './errors.js';
import { MAX_NODE_ID_LENGTH, slugNodeId } from './subjects.js';
import { JSON_TOKEN, refusedBuiltin, refusedVerb, type VerbPolicy } from './verb-policy.js';
import { clipText } from './text-length.js';

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
    const refused = options.isBuiltin?.(hints.command) === true ? refusedBuiltin(hints.command, options, fields) : refusedVerb(hints.command, options, argsText);
    if (refused !== undefined) {
      hints.denied_verb = refused;
      return refuse(BusErrorCode.COMMAND_DENIED, BusMessage.COMMAND_DENIED, hints);
    }
  }
  const wrong = wrongTypedField(fields);
  if (wrong !== undefined) return refuse(BusErrorCode.INVALID_ARGUMENT, wrong, hints);
  const request: BusRequest = { command: command.trim(), fields };
  const args = fields['args'];
  if (typeof args === 'string' && args !== '') request.args = args;
  else if (typeof args === 'number' || typeof args === 'boolean') request.args = String(args);
  if (hints.node_id !== undefined) request.node_id = hints.node_id;
  if (hints.async) request.async = true;
  if (hints.forward_to !== undefined) request.forward_to = hints.forward_to;
  if (hints.correlation_id !== undefined) request.correlation_id = hints.correlation_id;
  const timeout = fields['timeout_ms'];
  if (typeof timeout === 'number' && timeout !== 0) request.timeout_ms = Math.max(1, Math.floor(timeout));
  return { ok: true, request };
}

/** The leading verb of a command, lowercased: `"Show  channels"` → `show`. */
export function leadingVerb(command: string): string {
  return (command.trim().split(/\s+/)[0] ?? '').toLowerCase();
}

/** A user-given name in a message: quoted, cut past 64 characters (the body may hold 64 KB of it). */
function quotedName(name: string): string {
  return JSON.stringify(clipText(name, 64));
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
 * `null` counts as absent, and so does an optional field's zero value where it is no valid one
 * (`timeout_ms` 0; `""` of `node_id`, `forward_to`, `correlation_id`: hintsOf): Go's encoding/json
 * without `omitempty` and protobuf's JSON mapping send them for a field left unset.
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
  if (timeout !== undefined && timeout !== 0 && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0)) {
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
  // "" is a Go or protobuf client's unset one: none, not echoed (0 is an id like any: "0").
  if (typeof corr === 'string' && corr !== '') hints.correlation_id = corr;
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
