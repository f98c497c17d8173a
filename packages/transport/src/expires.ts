/**
 * A request's `expires` (Redis's `expires` field, Kafka's, ZeroMQ's and NATS's `fsbus-expires`
 * header): the requester's deadline, epoch milliseconds on its clock. Written by hand in other
 * languages, it comes in seconds (`time.time()`) — every request then looks decades late and is
 * skipped unrun, only a log line on the server's side saying so — or as text that is not a number,
 * once taken for "no deadline". Both are refused: not run, the requester told why (expiresRefusal).
 */
import { BusErrorCode, encodeReply, errorReply, parseRequest } from '@fsbus/contract';

/** The header that carries it on NATS (Kafka and ZeroMQ name theirs the same). */
export const EXPIRES_HEADER = 'fsbus-expires';

/** Below this an `expires` is not epoch milliseconds (1e12 ms is September 2001; now in seconds is ~1.8e9). */
export const MIN_EXPIRES_MS = 1e12;

/** A refused value is logged and echoed cut to this many characters: it is whatever the request's writer put there. */
const SHOWN_EXPIRES_CHARS = 40;

/**
 * The deadline an `expires` value gives: 0 for none (absent, null or empty), NaN when it is not
 * epoch milliseconds. `raw` as received: a string, or on ZeroMQ whatever its JSON headers hold.
 */
export function expiresOf(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  const ms = Number(raw);
  return ms >= MIN_EXPIRES_MS && ms < Number.POSITIVE_INFINITY ? ms : Number.NaN;
}

/** The value as shown in the refusal and its log line. */
export function shownExpires(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? String(raw));
  return text.slice(0, SHOWN_EXPIRES_CHARS);
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
