/**
 * Checks of arguments before anything is sent. From plain JavaScript a `NaN` or a string would
 * otherwise reach a timer or a buffer bound and quietly mean "for ever" or "unbounded"; a node id
 * no agent can have would build a subject the broker drops the connection for; a value JSON
 * cannot encode would escape as a bare TypeError.
 */
import { channelUuidProblem, clipText, encodeUtf8, forwardToProblem, MAX_NODE_ID_LENGTH, prefixProblem, slugNodeId, type Subjects } from '@fsbus/contract';
import { MAX_TIMER_MS } from '@fsbus/esl';
import { inboxPrefixProblem, type ReplayFrom } from '@fsbus/transport';
import { ClientError, ClientErrorCode } from './errors.js';

/** `value` unless it is not a delay a timer can keep: finite, > 0, at most MAX_TIMER_MS. */
export function timeoutOption(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${name} must be a number of milliseconds > 0 and <= ${MAX_TIMER_MS}, got ${String(value)}`);
  }
  return value;
}

/** `value` unless it is not a whole number >= 1. */
export function countOption(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${name} must be a whole number >= 1, got ${String(value)}`);
  }
  return value;
}

/** `command` unless it is not a non-empty string. */
export function commandOption(command: unknown): string {
  if (typeof command !== 'string' || command.trim() === '') throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, 'command must be a non-empty string');
  return command;
}

/**
 * `value` unless no agent can have it as its node id: not a string, blank, or longer than the
 * agent's bound (MAX_NODE_ID_LENGTH, before and after the agent's slug: lowercase, outside
 * `[a-z0-9_-]` → `_`). A 5,000-character id would make a subject past nats-server's 4 KiB
 * protocol line, and the server drops the whole connection (every pending request with it).
 */
export function nodeOption(value: string, name: string): string;
export function nodeOption(value: string | undefined, name: string): string | undefined;
export function nodeOption(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${name} must be a non-empty string, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  const length = Math.max(value.length, slugNodeId(value).length);
  if (length > MAX_NODE_ID_LENGTH) {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${name} must be at most ${MAX_NODE_ID_LENGTH} characters (an agent's node id is no longer), got ${length}`);
  }
  return value;
}

/**
 * `body` as the JSON bytes of a request. What JSON cannot encode (a BigInt, a cycle, a toJSON
 * that throws) is refused naming the field (`variables.a`), not thrown as a bare TypeError.
 */
export function encodeBody(body: Readonly<Record<string, unknown>>, what: string): Uint8Array {
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch (err) {
    const field = unencodablePath(body, '', new Set());
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${what}: ${field === '' ? 'the request' : field} cannot be encoded as JSON (${(err as Error).message.split('\n')[0] ?? ''})`, { cause: err });
  }
  return encodeUtf8(text);
}

/** The dotted path of the first value under `value` that JSON.stringify fails on ('' for `value` itself). */
function unencodablePath(value: unknown, path: string, seen: Set<object>): string {
  if (value === null || typeof value !== 'object' || seen.has(value)) return path;
  seen.add(value);
  for (const [key, child] of Object.entries(value)) {
    try {
      JSON.stringify(child);
    } catch {
      return unencodablePath(child, path === '' ? key : `${path}.${key}`, seen);
    }
  }
  return path;
}

/**
 * Longest event subject (prefix + pattern, UTF-8 bytes) events() subscribes to. nats-server drops
 * the connection for a protocol line over its max_control_line (4096 bytes): a longer pattern would
 * take every other call on the client with it, on every re-subscribe, for ever. 1024 is far more
 * than any event name needs, and leaves the line room for the subscription id and queue group.
 */
export const MAX_EVENT_SUBJECT_BYTES = 1024;

/**
 * Longest durable consumer or stream name (UTF-8 bytes): JetStream's own limit (JSMaxNameLen),
 * kept on every driver; JetStream's character rules apply on NATS only (see streamNameOption).
 */
export const MAX_STREAM_NAME_BYTES = 255;

function invalid(message: string): ClientError {
  return new ClientError(ClientErrorCode.INVALID_ARGUMENT, message);
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clipText(value, 40));
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'undefined':
      return 'undefined';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** `value` unless it is not an object (connect(null), originate(undefined)…). */
export function objectOption(value: unknown, name: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${name} must be an object, got ${shown(value)}`);
}

/** `value` unless it is not a string (undefined passes). */
export function stringOption(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw invalid(`${name} must be a string, got ${shown(value)}`);
  return value;
}

/**
 * The subject prefix, as the agent's config takes it (prefixProblem): cut or with an empty token
 * (`fs.`, `a..b`) it would name subjects no agent serves.
 */
export function prefixOption(value: unknown, name: string): string | undefined {
  const prefix = stringOption(value, name);
  if (prefix === undefined) return undefined;
  const problem = prefixProblem(prefix);
  if (problem !== undefined) throw invalid(`${name} ${shown(prefix)} ${problem}`);
  return prefix;
}

/** @default '_INBOX': NATS's own, which every NATS client answers under unless told otherwise. */
export const DEFAULT_INBOX_PREFIX = '_INBOX';
/**
 * The root of this client's reply and forward_to subjects: the NATS driver's rule (dot-separated
 * tokens of `[A-Za-z0-9_-]`, at most MAX_INBOX_PREFIX_LENGTH), and not under the agents' own
 * subjects, where the agent sends no forward_to.
 */
export function inboxPrefixOption(value: unknown, name: string, subjects: Subjects): string | undefined {
  const prefix = stringOption(value, name);
  if (prefix === undefined) return undefined;
  const problem = inboxPrefixProblem(prefix);
  if (problem !== undefined) throw invalid(`${name} ${shown(prefix)} ${problem}`);
  if (subjects.isOwnSubject(`${prefix}.x`)) throw invalid(`${name} ${shown(prefix)} is under the agents' own subjects (${subjects.prefix}.…), where no reply may go`);
  return prefix;
}

/** A `forward_to` an agent will publish to (contract's forwardToProblem, the agent's own check). */
export function forwardToOption(value: unknown, name: string, subjects: Subjects): string | undefined {
  const subject = stringOption(value, name);
  if (subject === undefined) return undefined;
  const problem = forwardToProblem(subject, subjects);
  if (problem !== undefined) throw invalid(`${name} ${shown(subject)} refused: ${problem}`);
  return subject;
}

/** `value` unless it is neither a string nor a list of strings (undefined passes). */
export function stringListOption(value: unknown, name: string): void {
  if (value === undefined || typeof value === 'string') return;
  if (!Array.isArray(value)) throw invalid(`${name} must be a string or a list of strings, got ${shown(value)}`);
  const bad = (value as unknown[]).findIndex((v) => typeof v !== 'string');
  if (bad >= 0) throw invalid(`${name}[${bad}] must be a string, got ${shown((value as unknown[])[bad])}`);
}

/** `value` unless it is not an AbortSignal (undefined passes); without this, `{}` fails later with a TypeError. */
export function signalOption(value: unknown, name = 'signal'): AbortSignal | undefined {
  if (value === undefined) return undefined;
  const problem = (): ClientError => invalid(`${name} must be an AbortSignal, got ${shown(value)}`);
  if (value === null || typeof value !== 'object') throw problem();
  const s: { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } = value;
  if (typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function' || typeof s.removeEventListener !== 'function') throw problem();
  return value as AbortSignal;
}

/** The patterns of events(): a string or a non-empty list of strings. */
export function patternsOption(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw invalid(`events: pattern must be a string or a list of strings, got ${shown(value)}`);
  const bad = (value as unknown[]).findIndex((v) => typeof v !== 'string');
  if (bad >= 0) throw invalid(`events: pattern[${bad}] must be a string, got ${shown((value as unknown[])[bad])}`);
  return value as string[];
}

/** An event subject unless it is longer than MAX_EVENT_SUBJECT_BYTES. */
export function eventSubjectBound(subject: string, pattern: string): string {
  const bytes = Buffer.byteLength(subject, 'utf8');
  if (bytes > MAX_EVENT_SUBJECT_BYTES) {
    throw invalid(`bad event pattern ${shown(pattern)}: its subject is ${bytes} bytes, at most ${MAX_EVENT_SUBJECT_BYTES} are allowed`);
  }
  return subject;
}

/**
 * A durable consumer or stream name the broker can take: a non-empty string of at most
 * MAX_STREAM_NAME_BYTES, no whitespace or control character; with `jetStream`, no `.`, `*`, `>`,
 * `/` or `\` either (JetStream refuses them, or the server drops the connection over them).
 */
export function streamNameOption(value: unknown, name: string, jetStream = true): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw invalid(`${name} must be a non-empty string, got ${shown(value)}`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_STREAM_NAME_BYTES) throw invalid(`${name} must be at most ${MAX_STREAM_NAME_BYTES} bytes, got ${bytes}`);
  if (/[\s\x00-\x1f\x7f]/.test(value)) throw invalid(`${name} ${shown(value)} may not contain whitespace or control characters`);
  if (jetStream && /[.*>/\\]/.test(value)) throw invalid(`${name} ${shown(value)} may not contain '.', '*', '>', '/' or '\\' (JetStream's name rules)`);
  return value;
}

/** `from` of events(): 'all', 'new', { sequence: whole number >= 1 } or { time: a valid Date }. */
export function replayFromOption(value: unknown): ReplayFrom | undefined {
  if (value === undefined || value === 'all' || value === 'new') return value;
  const problem = `from must be 'all', 'new', { sequence: n >= 1 } or { time: Date }, got ${shown(value)}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(problem);
  const keys = Object.keys(value);
  if (keys.length !== 1) throw invalid(problem);
  const v = value as { sequence?: unknown; time?: unknown };
  if (keys[0] === 'sequence') {
    if (typeof v.sequence !== 'number' || !Number.isSafeInteger(v.sequence) || v.sequence < 1) throw invalid(`from.sequence must be a whole number >= 1, got ${shown(v.sequence)}`);
    return value as ReplayFrom;
  }
  if (keys[0] === 'time') {
    if (!(v.time instanceof Date) || Number.isNaN(v.time.getTime())) throw invalid(`from.time must be a valid Date, got ${shown(v.time)}`);
    return value as ReplayFrom;
  }
  throw invalid(problem);
}

/** `value` unless it is not a function (undefined passes): a hook that is not one would throw on the first call, far from here. */
export function functionOption<F extends (...args: never[]) => unknown>(value: F | undefined, name: string): F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  throw invalid(`${name} must be a function, got ${shown(value)}`);
}

/**
 * A channel uuid a command may put on a FreeSWITCH line: contract's channelUuidProblem, the
 * agent's own check for hangup and execute_app, made here before anything is sent.
 */
export function channelUuidOption(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalid(`${name} must be a string, got ${shown(value)}`);
  const problem = channelUuidProblem(value);
  if (problem !== undefined) throw invalid(`${name} ${shown(value)} refused: ${problem}`);
  return value;
}

/**
 * One argument of a FreeSWITCH API line (uuid_transfer's extension, uuid_record's path…): a
 * non-empty string with no blank, control character, quote or backslash. mod_commands splits its
 * arguments on blanks (switch_separate_string, which also reads quotes and `\` escapes), so any of
 * these would silently change what FreeSWITCH runs; a line break would end the command.
 */
export function apiWordOption(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${name} must be a non-empty string, got ${shown(value)}`);
  if (/[\s\x00-\x1f\x7f'"\\]/.test(value)) throw invalid(`${name} ${shown(value)} must be one word: no blanks, line breaks, control characters, quotes or backslashes`);
  return value;
}

/** `value` unless it is not a boolean (undefined passes). */
export function booleanOption(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(`${name} must be a boolean, got ${shown(value)}`);
  return value;
}

/** `value` unless it is not one of `allowed` (undefined passes). */
export function oneOfOption<T extends string>(value: unknown, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined || allowed.includes(value as T)) return value as T | undefined;
  throw invalid(`${name} must be ${allowed.map((a) => `'${a}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${shown(value)}`);
}

/** The `auth` keys a driver reads (DriverAuth); NATS only: nkeySeed, creds, credsFile. */
export const AUTH_KEYS = ['token', 'nkeySeed', 'creds', 'credsFile', 'user', 'password'] as const;

/**
 * `auth` unless a key is unknown (a misspelt `creds_file` was silently dropped and the connect
 * refused as "Authorization Violation"), a value is no string, or a `.creds` setting comes with
 * another credential or goes to a driver other than nats (`driver`: its name; undefined for a
 * Driver instance). Never quotes a value: they are secrets.
 */
export function authOption(value: unknown, name: string, driver: string | undefined): void {
  if (value === undefined) return;
  objectOption(value, name);
  const auth = value as Record<string, unknown>;
  for (const key of Object.keys(auth)) {
    if (!(AUTH_KEYS as readonly string[]).includes(key)) throw invalid(`connect: unknown auth key '${key}' (known: ${AUTH_KEYS.join(', ')})`);
    if (auth[key] !== undefined && typeof auth[key] !== 'string') throw invalid(`${name}.${key} must be a string, got ${typeof auth[key] === 'object' ? shown(auth[key]) : typeof auth[key]}`);
  }
  const given = (key: string): boolean => auth[key] !== undefined && auth[key] !== '';
  const creds = given('credsFile') ? 'credsFile' : given('creds') ? 'creds' : undefined;
  if (creds === undefined) return;
  if (driver !== undefined && driver !== 'nats') throw invalid(`${name}.${creds} is for the nats driver only (the driver is ${driver})`);
  // The transport refuses the same (nats-options.ts): a .creds file is the whole credential.
  const others = AUTH_KEYS.filter((k) => k !== creds && given(k));
  if (others.length > 0) throw invalid(`${name}.${creds} cannot be combined with ${others.map((k) => `${name}.${k}`).join(', ')}: a .creds file is the whole credential`);
}
