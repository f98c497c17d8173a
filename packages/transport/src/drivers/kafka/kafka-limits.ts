/**
 * What the broker takes, learned with DescribeConfigs once connected (and again on each reconnect):
 * the smallest `message.max.bytes` of the cluster's brokers and, for the lane topics this driver
 * serves or sends requests to, a topic-level `max.message.bytes` override. The broker weighs a
 * whole record batch against it (value, key, headers, framing), so a record that can never pass is
 * refused before it is queued: sent, it would be refused later with the rest of its batch, and its
 * requester would wait out its timeout.
 */
import { ConfigResourceTypes, ConfigSources, type Admin } from '@platformatic/kafka';
import type { DriverLogger } from '../../driver.js';
import type { OutboxItem } from '../../outbox.js';

/** A record batch's header, its offset and length included (Kafka's v2 format). */
export const BATCH_HEADER_BYTES = 61;
/** One record's framing at most: length, attributes, timestamp and offset deltas, key/value lengths, header count (varints at their longest). */
const RECORD_FRAMING_BYTES = 36;
/** An event's key: its channel uuid (kafka-wire.ts reads at most 128 characters). */
const EVENT_KEY_BYTES = 128;
/**
 * What `maxPayloadBytes` keeps back for everything but the value: the batch header and record
 * framing (97 bytes), an event key (128) and the driver's own fsbus-* headers (a subject and a reply
 * topic of at most 249 characters each, a correlation id, an expiry: under 700 bytes). Caller
 * headers are weighed exactly when the record is sent.
 */
export const RECORD_RESERVE_BYTES = 1024;

const BROKER_KEY = 'message.max.bytes';
const TOPIC_KEY = 'max.message.bytes';

/** A record's size on the wire, at most, without its batch's header. */
export function recordBytes(item: OutboxItem): number {
  let n = RECORD_FRAMING_BYTES + item.data.byteLength + (item.subject.endsWith('.events') ? EVENT_KEY_BYTES : 0);
  // An `fsbus-key` header becomes the key: weighed as a header, a few bytes more than it costs.
  for (const [k, v] of Object.entries(item.headers ?? {})) n += 10 + Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

export interface Limit {
  bytes: number;
  /** Where it comes from, for error messages. */
  what: string;
}

export class KafkaLimits {
  readonly #admin: () => Admin | undefined;
  readonly #logger: DriverLogger | undefined;
  /** Smallest `message.max.bytes` of the brokers; undefined until one said. */
  #broker: number | undefined;
  /** `max.message.bytes` of watched topics that override the broker's. */
  readonly #overrides = new Map<string, number>();
  /** Topics whose override counts, each described once (again on refresh); never rejects. */
  readonly #watched = new Map<string, Promise<void>>();

  constructor(admin: () => Admin | undefined, logger: DriverLogger | undefined) {
    this.#admin = admin;
    this.#logger = logger;
  }

  /** The smallest limit known (broker and watched topics): a record batch may weigh no more. */
  get smallest(): number | undefined {
    return this.#broker === undefined ? undefined : Math.min(this.#broker, ...this.#overrides.values());
  }

  /** What a record's value may weigh, conservatively (RECORD_RESERVE_BYTES kept back). */
  get payload(): number | undefined {
    const s = this.smallest;
    return s === undefined ? undefined : Math.max(0, s - RECORD_RESERVE_BYTES);
  }

  /** The limit a record to `topic` meets: its override if smaller than the broker's. */
  forTopic(topic: string): Limit | undefined {
    if (this.#broker === undefined) return undefined;
    const own = this.#overrides.get(topic);
    return own !== undefined && own < this.#broker ? { bytes: own, what: `topic ${topic}'s max.message.bytes` } : { bytes: this.#broker, what: "broker's message.max.bytes" };
  }

  /** Why `item` (its subject a topic) can never be sent, or undefined (also when no limit is known). */
  unsendable(item: OutboxItem): string | undefined {
    const limit = this.forTopic(item.subject);
    if (limit === undefined) return undefined;
    const size = BATCH_HEADER_BYTES + recordBytes(item);
    return size > limit.bytes ? `the message is ${size} bytes with its headers and framing, over the ${limit.what} of ${limit.bytes} bytes` : undefined;
  }

  /** Learns the brokers' limit and every watched topic's afresh; a failure keeps what was known. Never rejects. */
  async refresh(): Promise<void> {
    try {
      const admin = this.#client();
      const { brokers } = await admin.metadata({ topics: [] });
      const described = await admin.describeConfigs({
        resources: [...brokers.keys()].map((id) => ({ resourceType: ConfigResourceTypes.BROKER, resourceName: String(id), configurationKeys: [BROKER_KEY] })),
      });
      const values = described.flatMap((d) => d.configs.filter((c) => c.name === BROKER_KEY).map((c) => Number(c.value))).filter((n) => Number.isSafeInteger(n) && n > 0);
      if (values.length > 0) this.#broker = Math.min(...values);
    } catch (err) {
      // No DESCRIBE_CONFIGS right, or the broker went: records are then weighed by the broker alone.
      this.#logger?.warn({ err }, `kafka: cannot read the brokers' ${BROKER_KEY} (DescribeConfigs); messages over it are refused by the broker, not before sending`);
    }
    for (const topic of this.#watched.keys()) this.#watched.set(topic, this.#describeTopic(topic));
    await this.settled();
  }

  /** Counts `topic`'s override from now on (described once; refresh() describes it again). */
  watch(topic: string): Promise<void> {
    let p = this.#watched.get(topic);
    if (p === undefined) {
      p = this.#describeTopic(topic);
      this.#watched.set(topic, p);
    }
    return p;
  }

  /** Resolves once every topic description under way is done. */
  async settled(): Promise<void> {
    await Promise.all(this.#watched.values());
  }

  /** Forgets everything (driver closed): nothing is known any more. */
  clear(): void {
    this.#broker = undefined;
    this.#overrides.clear();
  }

  async #describeTopic(topic: string): Promise<void> {
    try {
      const [d] = await this.#client().describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: [TOPIC_KEY] }] });
      const c = d?.configs.find((x) => x.name === TOPIC_KEY);
      const n = Number(c?.value);
      // Without an override the topic shows the broker's value, which refresh() follows already.
      if (c?.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG && Number.isSafeInteger(n) && n > 0) this.#overrides.set(topic, n);
      else this.#overrides.delete(topic);
    } catch (err) {
      this.#logger?.debug({ err, topic }, `kafka: cannot read ${TOPIC_KEY} of the topic`);
    }
  }

  #client(): Admin {
    const admin = this.#admin();
    if (admin === undefined) throw new Error('kafka admin client not connected');
    return admin;
  }
}
