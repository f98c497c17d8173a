/**
 * What each broker's durable stream can be capped by (StreamSpec's maxAgeMs, maxMessages,
 * maxBytes): one table for the drivers' ensureStream, which refuse the others, and for a config
 * checked before any connect (the agent's). A cap dropped in silence would keep more than asked.
 */
import type { StreamSpec } from './driver.js';
import { TransportError, TransportErrorCode } from './errors.js';
import { driverNamed } from './load-driver.js';

/** The retention limits a driver's durable stream can keep to. */
export interface StreamRetention {
  /** What the broker calls its stream, for messages. */
  readonly what: string;
  readonly maxAgeMs: boolean;
  readonly maxMessages: boolean;
  readonly maxBytes: boolean;
}

const STREAM_RETENTION: Readonly<Record<string, StreamRetention>> = {
  nats: { what: 'JetStream streams', maxAgeMs: true, maxMessages: true, maxBytes: true },
  // retention.ms and retention.bytes; a topic has no record-count limit.
  kafka: { what: 'Kafka topics', maxAgeMs: true, maxMessages: false, maxBytes: true },
  // XADD's MAXLEN/MINID trim by count and by id (time); nothing trims by size.
  redis: { what: 'Redis streams', maxAgeMs: true, maxMessages: true, maxBytes: false },
  // x-max-age and x-max-length-bytes; a stream queue has no length cap.
  amqp: { what: 'RabbitMQ streams', maxAgeMs: true, maxMessages: false, maxBytes: true },
};

/** How `driver`'s (any name of it: `rabbitmq`) durable stream can be capped; undefined when it has none (mqtt, zmq). */
export function streamRetention(driver: string): StreamRetention | undefined {
  return STREAM_RETENTION[driverNamed(driver) ?? ''];
}

const CAPS = [
  ['maxMessages', 'count'],
  ['maxBytes', 'size'],
] as const;

/** Refuses (UNSUPPORTED) a spec capped by what `driver`'s stream cannot keep to, naming the caps it can. */
export function assertStreamRetention(driver: string, spec: StreamSpec): void {
  const retention = streamRetention(driver);
  if (retention === undefined) return;
  for (const [cap, by] of CAPS) {
    if (spec[cap] === undefined || retention[cap]) continue;
    const instead = (['maxMessages', 'maxAgeMs', 'maxBytes'] as const).filter((c) => c !== cap && retention[c]).join(' or ');
    throw new TransportError(TransportErrorCode.UNSUPPORTED, `${retention.what} cannot be capped by ${by} (stream ${spec.name}): use ${instead}`);
  }
}
