/**
 * A durable stream's topic is shared by every agent of the cluster: ensureStream on a topic that
 * exists keeps the wider of its retention and the asked one, as NATS (widenedRetention) and Redis
 * (the merged record) do. One agent asking for more widens it for everyone; one asking for less
 * must not delete the others' history — narrowing is done by hand.
 */
import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes, type Admin } from '@platformatic/kafka';
import type { DriverLogger, StreamSpec } from '../../driver.js';

export const RETENTION_KEYS = ['retention.ms', 'retention.bytes'] as const;
export type RetentionKey = (typeof RETENTION_KEYS)[number];
/** A topic's retention limits; negative (Kafka's -1) means none. */
export type KafkaRetention = Record<RetentionKey, number>;

/** The wider of two limits: a negative one (none) is wider than any. */
export function widerLimit(a: number, b: number): number {
  return a < 0 || b < 0 ? -1 : Math.max(a, b);
}

const unlimitedAsMinusOne = (v: number): number => (v < 0 ? -1 : v);

/** What the spec asks of the topic; unset = -1 (none). */
export function askedRetention(spec: StreamSpec): KafkaRetention {
  return { 'retention.ms': spec.maxAgeMs ?? -1, 'retention.bytes': spec.maxBytes ?? -1 };
}

/** The keys to widen to the asked value, and those the topic keeps wider than asked. */
export function retentionPlan(topic: KafkaRetention, asked: KafkaRetention): { widen: RetentionKey[]; keptWider: RetentionKey[] } {
  const widen: RetentionKey[] = [];
  const keptWider: RetentionKey[] = [];
  for (const k of RETENTION_KEYS) {
    const kept = widerLimit(topic[k], asked[k]);
    if (kept !== unlimitedAsMinusOne(topic[k])) widen.push(k);
    else if (kept !== unlimitedAsMinusOne(asked[k])) keptWider.push(k);
  }
  return { widen, keptWider };
}

const shown = (v: number): number | 'unlimited' => (v < 0 ? 'unlimited' : v);

async function topicRetention(admin: Admin, topic: string): Promise<KafkaRetention> {
  const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: [...RETENTION_KEYS] }] });
  const read = (k: RetentionKey): number => {
    const v = described?.configs.find((c) => c.name === k)?.value;
    const n = v === undefined || v === null ? NaN : Number(v);
    if (!Number.isFinite(n)) throw new Error(`${k} not described (${String(v)})`);
    return n;
  };
  return { 'retention.ms': read('retention.ms'), 'retention.bytes': read('retention.bytes') };
}

/**
 * Brings an existing stream topic to at least `asked` (only the keys that change), with an info
 * line for what was widened and a warn line for what it keeps wider. A failure to read or alter
 * is a warn line: the topic keeps its retention as it is and the stream goes on.
 */
export async function widenStreamTopicRetention(admin: Admin | undefined, stream: string, topic: string, asked: KafkaRetention, logger: DriverLogger | undefined): Promise<void> {
  try {
    if (admin === undefined) throw new Error('kafka admin client not connected');
    const had = await topicRetention(admin, topic);
    const { widen, keptWider } = retentionPlan(had, asked);
    if (widen.length > 0) {
      await admin.incrementalAlterConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configs: widen.map((k) => ({ name: k, configOperation: IncrementalAlterConfigOperationTypes.SET, value: String(asked[k]) })) }],
      });
      const widened = Object.fromEntries(widen.map((k) => [k, { from: shown(had[k]), to: shown(asked[k]) }]));
      logger?.info({ stream, topic, widened }, `event stream ${stream}: topic ${topic} retention widened to this agent's config (${widen.join(', ')})`);
    }
    if (keptWider.length > 0) {
      const kept = Object.fromEntries(keptWider.map((k) => [k, { stream: shown(had[k]), config: shown(asked[k]) }]));
      logger?.warn(
        { stream, topic, kept },
        `event stream ${stream} keeps retention wider than this agent's config (${keptWider.join(', ')}): it holds every agent's events, so it is never narrowed at start; ` +
          `narrow it deliberately by hand (kafka-configs.sh --alter --entity-type topics --entity-name ${topic} --add-config ${keptWider.map((k) => `${k}=…`).join(',')})`,
      );
    }
  } catch (err) {
    logger?.warn({ err, stream, topic }, `event stream ${stream}: cannot read or widen the retention of topic ${topic}; it keeps its retention as it is`);
  }
}
