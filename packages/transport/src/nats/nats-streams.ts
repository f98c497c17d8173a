/** JetStream side of the NATS driver: streams with retention, durable and ordered replay. */
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy, StorageType, RetentionPolicy, type ConsumerConfig, type JsMsg } from '@nats-io/jetstream';
import { createInbox, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { ConsumeDurableOptions, DurableMessage, StreamSpec, Subscription } from '../driver.js';
import { TransportError, TransportErrorCode } from '../errors.js';

export async function ensureNatsStream(nc: NatsConnection, spec: StreamSpec): Promise<void> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const config = {
      subjects: [...spec.subjects],
      max_age: spec.maxAgeMs === undefined ? 0 : nanos(spec.maxAgeMs),
      max_msgs: spec.maxMessages ?? -1,
      max_bytes: spec.maxBytes ?? -1,
    };
    const exists = await jsm.streams.info(spec.name).then(
      () => true,
      () => false,
    );
    if (exists) await jsm.streams.update(spec.name, config);
    else {
      await jsm.streams.add({
        name: spec.name,
        ...config,
        retention: RetentionPolicy.Limits,
        storage: spec.storage === 'memory' ? StorageType.Memory : StorageType.File,
      });
    }
  } catch (err) {
    throw new TransportError(TransportErrorCode.BROKER, `cannot set up stream ${spec.name}: ${(err as Error).message}`, { cause: err });
  }
}

function deliverConfig(from: ConsumeDurableOptions['from']): Partial<ConsumerConfig> {
  if (from === undefined || from === 'all') return { deliver_policy: DeliverPolicy.All };
  if (from === 'new') return { deliver_policy: DeliverPolicy.New };
  if ('sequence' in from) return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.sequence };
  return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.time.toISOString() };
}

export async function consumeNatsStream(
  nc: NatsConnection,
  options: ConsumeDurableOptions,
  handler: (message: DurableMessage) => void,
): Promise<Subscription> {
  try {
    const js = jetstream(nc, { timeout: 5000 });
    const deliver = deliverConfig(options.from);
    let consumer;
    if (options.durable !== undefined) {
      // A durable PUSH consumer: the server delivers only while someone listens on its deliver
      // subject, so a consumer that goes offline leaves its messages pending for its return (a
      // pull consumer's last pull request would still swallow messages until it expires).
      const jsm = await jetstreamManager(nc, { timeout: 5000 });
      const existing = await jsm.consumers.info(options.stream, options.durable).catch(() => undefined);
      if (existing === undefined) {
        const cfg: Partial<ConsumerConfig> = {
          durable_name: options.durable,
          deliver_subject: createInbox(),
          ack_policy: AckPolicy.Explicit,
          ...deliver,
        };
        if (options.filter !== undefined) cfg.filter_subject = options.filter;
        await jsm.consumers.add(options.stream, cfg);
      }
      consumer = await js.consumers.getPushConsumer(options.stream, options.durable);
    } else {
      const ordered: Record<string, unknown> = { ...deliver };
      // A string (not an array) becomes `filter_subject`, which servers before 2.10 accept.
      if (options.filter !== undefined) ordered['filter_subjects'] = options.filter;
      consumer = await js.consumers.get(options.stream, ordered);
    }
    const messages = await consumer.consume({
      callback: (m: JsMsg) => {
        const msg: DurableMessage = {
          subject: m.subject,
          data: m.data,
          sequence: m.seq,
          ack: () => m.ack(),
        };
        handler(msg);
      },
    });
    return {
      subject: options.filter ?? options.stream,
      unsubscribe: async () => {
        await messages.close();
        // The server must know we left before anything else happens (no delivery into the void).
        await nc.flush();
      },
    };
  } catch (err) {
    throw new TransportError(TransportErrorCode.BROKER, `cannot consume stream ${options.stream}: ${(err as Error).message}`, { cause: err });
  }
}
