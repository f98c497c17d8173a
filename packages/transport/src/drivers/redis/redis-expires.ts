/**
 * A lane entry's `expires`: the requester's deadline, epoch milliseconds on its clock. Written by
 * hand in other languages, it comes in seconds (`time.time()`) — every request then looks decades
 * late and is skipped unrun, only a log line on the server's side saying so — or as text that is
 * not a number, once taken for "no deadline". Both are refused: not run, the requester told why.
 */
import { BusErrorCode, encodeReply, errorReply, parseRequest } from '@fsbus/contract';

/** Below this an `expires` is not epoch milliseconds (1e12 ms is September 2001; now in seconds is ~1.8e9). */
export const MIN_EXPIRES_MS = 1e12;

/** The log line of refused `expires` values (once per burst, with the request's subject and the value). */
export const REFUSED_EXPIRES_LOG = 'redis request whose expires is not epoch milliseconds: refused, not run';

/** A refused value is logged and echoed cut to this many characters: it is whatever the lane's writer put there. */
const SHOWN_EXPIRES_CHARS = 40;

/** The deadline an entry's `expires` field gives: 0 for none (absent or empty), NaN when it is not epoch milliseconds. */
export function expiresOf(raw: Buffer | undefined): number {
  if (raw === undefined || raw.byteLength === 0) return 0;
  const ms = Number(raw.toString('utf8'));
  return Number.isFinite(ms) && ms >= MIN_EXPIRES_MS ? ms : Number.NaN;
}

/** The value as shown in the refusal and its log line. */
export function shownExpires(raw: Buffer | undefined): string {
  return (raw?.toString('utf8') ?? '').slice(0, SHOWN_EXPIRES_CHARS);
}

/**
 * The refusal a requester gets for its `expires`: an error envelope echoing the body's
 * correlation_id (as the agent's refusals do), or undefined when the body asks for no reply
 * (`async`). The driver does not know the agent's node id: `node_id` is `unknown`.
 */
export function expiresRefusal(body: Uint8Array, shown: string): Uint8Array | undefined {
  // Unbounded: the agent's own cap applies to requests it runs; this one is only read for its hints.
  const parsed = parseRequest(body, { maxPayloadBytes: Number.POSITIVE_INFINITY });
  const hints = parsed.ok ? parsed.request : parsed.hints;
  if (hints.async === true) return undefined;
  const message = `expires must be epoch milliseconds (a number ≥ ${MIN_EXPIRES_MS}, e.g. Date.now() + 5000), not seconds: got ${JSON.stringify(shown)}`;
  return encodeReply(errorReply({ nodeId: '', code: BusErrorCode.INVALID_ARGUMENT, message, correlationId: hints.correlation_id }));
}
