/**
 * Checks of arguments before anything is sent. From plain JavaScript a `NaN` or a string would
 * otherwise reach a timer or a buffer bound and quietly mean "for ever" or "unbounded"; a node id
 * no agent can have would build a subject the broker drops the connection for; a value JSON
 * cannot encode would escape as a bare TypeError.
 */
import { encodeUtf8, MAX_NODE_ID_LENGTH, slugNodeId } from '@fsbus/contract';
import { ClientError, ClientErrorCode } from './errors.js';

/** Node's timers cannot wait longer (a longer delay fires at once, with a warning). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** `value` unless it is not a delay a timer can keep: finite, > 0, at most MAX_TIMEOUT_MS. */
export function timeoutOption(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${name} must be a number of milliseconds > 0 and <= ${MAX_TIMEOUT_MS}, got ${String(value)}`);
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
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${name} must be a non-empty string, got ${typeof value === 'string' ? '""' : String(value)}`);
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
