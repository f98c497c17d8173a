/** Defaults every driver shares, in one place. */

/** Outgoing buffer while the broker is away, in messages. @default 10000 */
export const DEFAULT_BUFFER_MESSAGES = 10_000;
/** Outgoing buffer, in bytes (nats.c's ReconnectBufSize, which mod_event_agent used). @default 8 MiB */
export const DEFAULT_BUFFER_BYTES = 8 * 1024 * 1024;
/** The least a write window may be unless a driver's broker needs more (writeWindowBytes). @default 1 MiB */
export const MIN_WRITE_WINDOW_BYTES = 1024 * 1024;
/**
 * How far a driver writes ahead of what its broker confirmed (NATS: a PONG; AMQP: publisher
 * confirms; Redis: each command's reply; MQTT: the PUBACK) before it holds what follows in the
 * outbox: `bufferBytes`, at least `floor` (what its broker may leave unconfirmed at full speed).
 */
export function writeWindowBytes(bufferBytes: number | undefined, floor = MIN_WRITE_WINDOW_BYTES): number {
  return Math.max(bufferBytes ?? DEFAULT_BUFFER_BYTES, floor);
}
/** @default 5000 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** First-connect timeout. @default 5000 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** The subject prefix (and broker namespace) when none is given, the contract's. @default 'freeswitch' */
export const DEFAULT_NAMESPACE = 'freeswitch';
/**
 * A durable consumer's bound on messages handed out and not acknowledged, when it gives none
 * (ConsumeDurableOptions.maxInFlight): every driver holds back there. @default 1000 (the client's
 * default event buffer)
 */
export const DEFAULT_DURABLE_MAX_IN_FLIGHT = 1000;

/** `maxInFlight` as a whole number of at least 1, the default when absent. */
export function durableMaxInFlight(maxInFlight: number | undefined): number {
  return Math.max(1, Math.floor(maxInFlight ?? DEFAULT_DURABLE_MAX_IN_FLIGHT));
}
