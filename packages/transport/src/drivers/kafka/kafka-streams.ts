/**
 * Durable streams on Kafka: a stream is the topic (or topics) its subjects map to — Kafka keeps
 * records anyway; ensureStream creates them with the retention asked for (one partition, so a
 * stream's order is total and `sequence` = offset + 1), or widens an existing one's, never
 * narrowing it (kafka-stream-retention.ts); one made beforehand with several partitions is warned
 * about and refused to durable reads and replays. The stream name → topics mapping is stored
 * in the compacted topic `fsbus.streams` (key = name, value = JSON), so any client can replay a
 * stream by name. Durable consumers are consumer groups; their position is the committed offset
 * (the first one not acknowledged: kafka-ack-floor.ts), their filter is recorded in the group too
 * (kafka-durable-filter.ts).
 */
import type { Admin, BaseOptions } from '@platformatic/kafka';
import type { ConsumeDurableOptions, DriverLogger, DurableMessage, RetentionLoss, StreamSpec } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { assertStreamRetention } from '../../stream-retention.js';
import { reportRetentionLoss, retentionUnknown } from '../../retention-loss.js';
import type { PublishOutcome } from '../../driver.js';
import type { OutboxItem } from '../../outbox.js';
import { KafkaReader, type ReaderSpec } from './kafka-reader.js';
import { closeConsumer, newConsumer } from './kafka-options.js';
import { KafkaHeader, topicForPattern } from './kafka-topics.js';
import { subjectMatches } from '../../subject-pattern.js';
import { readHeaders, toInbound } from './kafka-wire.js';
import { unlessInterrupted } from '../../interruptible.js';
import { claimDurableFilter, recordDurableFilter, type Durable } from './kafka-durable-filter.js';
import { AckFloor } from './kafka-ack-floor.js';
import { askedRetention, widenStreamTopicRetention } from './kafka-stream-retention.js';
import type { TopicConfig, TopicEnsured } from './kafka-admin.js';

export const STREAMS_TOPIC = 'fsbus.streams';
/** How long a lookup of an unknown stream name reads the registry before giving up. */
const LOOKUP_TIMEOUT_MS = 5000;
/** How long a durable's unsubscribe waits for its filter to be written again; it goes on after. @default 2000 */
const RECORD_ON_STOP_MS = 2000;
/** How long a durable's unsubscribe waits for its last acks to be committed; it goes on after. @default 2000 */
const LAST_COMMIT_MS = 2000;

export interface StreamInfo {
  name: string;
  subjects: string[];
  topics: string[];
}

export class StreamRegistry {
  readonly known = new Map<string, StreamInfo>();
}

export async function ensureKafkaStream(
  spec: StreamSpec,
  namespace: string | undefined,
  registry: StreamRegistry,
  ensureTopic: (topic: string, configs: TopicConfig) => Promise<TopicEnsured>,
  enqueue: (item: OutboxItem) => PublishOutcome,
  admin: () => Admin | undefined,
  logger: DriverLogger | undefined,
): Promise<void> {
  assertStreamRetention('kafka', spec);
  const asked = askedRetention(spec);
  const configs: TopicConfig = Object.entries(asked).map(([name, value]) => ({ name, value: String(value) }));
  const topics: string[] = [];
  for (const subject of spec.subjects) {
    const topic = topicForPattern(subject, namespace);
    if (topic === undefined) throw new TransportError(TransportErrorCode.UNSUPPORTED, `kafka cannot map the stream subject '${subject}' to a topic`);
    topics.push(topic);
  }
  const streamTopics = [...new Set(topics)];
  // Only a topic found existing (another agent's, or one that won the creation race) is widened:
  // one created here has the asked retention, and reading it needs DESCRIBE_CONFIGS.
  const existing: string[] = [];
  try {
    await ensureTopic(STREAMS_TOPIC, [{ name: 'cleanup.policy', value: 'compact' }]);
    for (const t of streamTopics) if ((await ensureTopic(t, configs)) === 'existed') existing.push(t);
  } catch (err) {
    throw new TransportError(TransportErrorCode.BROKER, `cannot set up stream ${spec.name}: ${(err as Error).message}`, { cause: err });
  }
  for (const t of existing) await widenStreamTopicRetention(admin(), spec.name, t, asked, logger);
  // A topic made beforehand with several partitions still carries the live events (each call keeps
  // its order in its partition): only durable reads and replays refuse it (consumeKafkaStream).
  for (const t of existing) await warnSeveralPartitions(admin(), spec.name, t, logger);
  const info: StreamInfo = { name: spec.name, subjects: [...spec.subjects], topics: streamTopics };
  registry.known.set(spec.name, info);
  enqueue({ subject: STREAMS_TOPIC, data: Buffer.from(JSON.stringify(info)), headers: { [KafkaHeader.SUBJECT]: STREAMS_TOPIC, [KafkaHeader.KEY]: spec.name } });
}

/** Reads `fsbus.streams` from its start until the name shows up (bounded). */
async function lookup(name: string, base: BaseOptions): Promise<StreamInfo | undefined> {
  // A failed rejoin only ends the lookup early: it then times out and finds nothing.
  const consumer = newConsumer({ ...base, groupId: `${base.clientId}.lookup`, maxWaitTime: 200 }, () => undefined);
  try {
    const stream = await consumer.consume({ topics: [STREAMS_TOPIC], mode: 'earliest', autocommit: false });
    return await new Promise<StreamInfo | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), LOOKUP_TIMEOUT_MS);
      // A stream that fails finds nothing (an 'error' nobody hears would throw out of the process).
      stream.on('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      stream.on('data', (m: { key?: Buffer; value?: Buffer }) => {
        if (m.key?.toString() !== name || m.value === undefined) return;
        const info = parseStreamInfo(m.value);
        // A record that is not fsbus's (or damaged) is passed over: a later one may describe the stream.
        if (info === undefined) return;
        clearTimeout(timer);
        resolve(info);
      });
    }).finally(() => stream.close().catch(() => undefined));
  } catch {
    return undefined;
  } finally {
    await closeConsumer(consumer).catch(() => undefined);
  }
}

function parseStreamInfo(value: Buffer): StreamInfo | undefined {
  try {
    const v = JSON.parse(value.toString()) as Partial<StreamInfo> | null;
    const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');
    return v !== null && typeof v.name === 'string' && strings(v.subjects) && strings(v.topics) ? { name: v.name, subjects: v.subjects, topics: v.topics } : undefined;
  } catch {
    return undefined;
  }
}

/** A replay: its reader, and for a durable consumer what runs once the reader has left the group. */
export interface StreamConsumer {
  reader: KafkaReader;
  stopped?: () => Promise<void>;
}

export async function consumeKafkaStream(
  options: ConsumeDurableOptions,
  registry: StreamRegistry,
  base: BaseOptions,
  /** The driver's admin when called: the liveness check may replace it (KafkaDriver#renewAdmin). */
  current: () => Admin | undefined,
  groupPrefix: string,
  handler: (message: DurableMessage) => void,
  logger: DriverLogger | undefined,
): Promise<StreamConsumer> {
  const admin = (): Admin => {
    const a = current();
    if (a === undefined) throw new TransportError(TransportErrorCode.CLOSED, 'driver is not connected');
    return a;
  };
  const info = registry.known.get(options.stream) ?? (await lookup(options.stream, base));
  if (info === undefined) throw new TransportError(TransportErrorCode.BROKER, `stream ${options.stream} not found`);
  registry.known.set(info.name, info);
  const topic = info.topics[0];
  if (topic === undefined || info.topics.length > 1) throw new TransportError(TransportErrorCode.UNSUPPORTED, `kafka streams over several topics cannot be replayed in order (${options.stream})`);
  await assertOnePartition(admin(), options.stream, topic);
  // Filtered here, committed past what does not match: the name must not change filter.
  const durable: Durable | undefined = options.durable === undefined ? undefined : { group: options.durable, stream: options.stream, filter: options.filter ?? '' };
  const from = options.from ?? 'all';
  // The library's fallback both starts a group with no position and moves a reader whose position
  // retention deleted (OFFSET_OUT_OF_RANGE); the second must go to the oldest record left, not past
  // the records still there. So a new durable from 'new' gets its position — the topic's end —
  // committed before it joins, and 'latest' stays only if that commit was refused.
  const positioned = durable === undefined || (await claimDurableFilter(admin(), STREAMS_TOPIC, durable, logger, from === 'new' ? { topic, offset: () => logEnd(admin(), topic) } : undefined));
  const spec: ReaderSpec = {
    topic,
    group: options.durable ?? `${groupPrefix}.${Math.random().toString(36).slice(2, 10)}`,
    mode: options.durable !== undefined ? 'committed' : from === 'new' ? 'latest' : 'earliest',
    fallback: positioned ? 'earliest' : 'latest',
    commitEach: false,
  };
  if (typeof from === 'object') {
    const offset = 'sequence' in from ? BigInt(Math.max(0, from.sequence - 1)) : await offsetForTime(base, topic, from.time);
    // No record at or after that time: only new ones.
    if (offset < 0n) spec.mode = 'latest';
    else {
      spec.mode = 'manual';
      spec.offsets = [{ topic, partition: 0, offset }];
    }
  }
  // A durable commits its ack floor and is held at maxInFlight unacknowledged (kafka-ack-floor.ts).
  const floor = durable === undefined ? undefined : new AckFloor(options.maxInFlight, { commit: (p, o) => reader.commit(p, o), hold: () => reader.hold(), release: () => reader.release() }, logger);
  // The last offset read (or, for a durable, accounted for when it attached): a record past the
  // next one is what retention deleted under the reader (offsets are contiguous: no transactions).
  let last: bigint | undefined;
  const reader = new KafkaReader(base, spec, (m) => {
    if (floor !== undefined && !floor.fresh(m.partition, m.offset)) return;
    if (last !== undefined && m.offset > last + 1n) reportRetentionLoss(options, { from: Number(last) + 2, to: Number(m.offset), count: Number(m.offset - last - 1n) }, logger, options);
    if (last === undefined || m.offset > last) last = m.offset;
    const headers = readHeaders(m);
    const subject = headers[KafkaHeader.SUBJECT] ?? m.topic;
    if (!info.subjects.some((s) => subjectMatches(s, subject))) return;
    if (options.filter !== undefined && !subjectMatches(options.filter, subject)) return;
    handler({
      ...toInbound(m, headers),
      sequence: Number(m.offset) + 1,
      ack: floor?.handOut(m.partition, m.offset) ?? (() => void Promise.resolve(m.commit()).catch((err: unknown) => logger?.warn({ err }, 'kafka stream ack failed'))),
    });
  }, logger);
  // What was acknowledged just before the unsubscribe is committed before the group is left (a
  // broker that stopped answering does not hold the unsubscribe: a restart then delivers it again).
  if (floor !== undefined) {
    reader.beforeClose = () =>
      unlessInterrupted(floor.idle(), (stop) => {
        const timer = setTimeout(() => stop(new Error('acks not committed in time')), LAST_COMMIT_MS);
        return () => clearTimeout(timer);
      }).finally(() => floor.stop());
  }
  // Told before anything is delivered: the group resets to the log start in silence.
  if (durable !== undefined) last = await checkRetentionLoss(admin(), topic, options, logger);
  reader.start();
  await reader.ready;
  if (durable === undefined) return { reader };
  // The group is empty again once the reader left: the record is written fresh (it ages while the
  // group is in use). A broker that stopped answering does not hold the unsubscribe.
  const stopped = async (): Promise<void> => {
    await unlessInterrupted(recordDurableFilter(admin(), STREAMS_TOPIC, durable, logger), (stop) => {
      const timer = setTimeout(() => stop(new Error('not recorded in time')), RECORD_ON_STOP_MS);
      return () => clearTimeout(timer);
    }).catch(() => undefined);
  };
  return { reader, stopped };
}

/** The topic's partition count (metadata asked afresh: it may have been made meanwhile). */
async function partitionsOf(admin: Admin, topic: string): Promise<number | undefined> {
  const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
  return meta.topics.get(topic)?.partitionsCount;
}

/** Why a topic of several partitions is no stream, and what to do: in one sentence for the error and the warning. */
function severalPartitions(stream: string, topic: string, partitions: number): string {
  return (
    `kafka stream ${stream}: its topic ${topic} has ${partitions} partitions, and durable consumers and replays need one partition ` +
    `(a sequence is an offset + 1, one total order): recreate the topic with one partition, or let the agent create it ` +
    `(live subscriptions work on any partition count, each call in order)`
  );
}

/**
 * A durable read or replay of a topic made beforehand with several partitions would number its
 * records by offset in each partition (the same sequence for different events, out of order), and
 * start, resume and check retention on partition 0 only: refused.
 */
async function assertOnePartition(admin: Admin, stream: string, topic: string): Promise<void> {
  let partitions: number | undefined;
  try {
    partitions = await partitionsOf(admin, topic);
  } catch (err) {
    throw new TransportError(TransportErrorCode.BROKER, `cannot consume stream ${stream}: cannot read topic ${topic}: ${(err as Error).message}`, { cause: err });
  }
  if (partitions !== undefined && partitions > 1) throw new TransportError(TransportErrorCode.UNSUPPORTED, severalPartitions(stream, topic, partitions));
}

async function warnSeveralPartitions(admin: Admin | undefined, stream: string, topic: string, logger: DriverLogger | undefined): Promise<void> {
  if (admin === undefined) return;
  try {
    const partitions = await partitionsOf(admin, topic);
    if (partitions !== undefined && partitions > 1) logger?.warn({ stream, topic, partitions }, severalPartitions(stream, topic, partitions));
  } catch (err) {
    logger?.debug({ err, stream, topic }, 'kafka stream: partition count not read');
  }
}

/** Kafka's "earliest" in a ListOffsets request: the log start offset. */
const EARLIEST = -2n;
/** Kafka's "latest" in a ListOffsets request: the offset the next record gets. */
const LATEST = -1n;

/** The offset `topic`'s next record gets (partition 0). */
async function logEnd(admin: Admin, topic: string): Promise<bigint> {
  const offsets = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: LATEST }] }] });
  const end = offsets.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === 0)?.offset;
  if (end === undefined) throw new Error(`no end offset for ${topic}`);
  return end;
}

/**
 * Records retention deleted before this durable group read them: its committed offset (the next
 * one to read) below the partition's log start. In sequences (offset + 1). `readTo`: the last
 * offset read or told as lost; undefined for a new group.
 */
async function retentionLossOf(admin: Admin, topic: string, group: string): Promise<{ loss?: RetentionLoss; readTo?: bigint }> {
  const [groups, offsets] = await Promise.all([
    admin.listConsumerGroupOffsets({ groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: [0] }] }] }),
    admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: EARLIEST }] }] }),
  ]);
  const committed = groups[0]?.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === 0)?.committedOffset;
  const logStart = offsets.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === 0)?.offset;
  if (committed === undefined || committed < 0n) return {};
  if (logStart === undefined || committed >= logStart) return { readTo: committed - 1n };
  return { loss: { from: Number(committed) + 1, to: Number(logStart), count: Number(logStart - committed) }, readTo: logStart - 1n };
}

/** Tells what retention deleted before the durable attached; returns the last offset read or told (undefined: a new group, or not known). */
async function checkRetentionLoss(admin: Admin, topic: string, options: ConsumeDurableOptions, logger: DriverLogger | undefined): Promise<bigint | undefined> {
  let found: Awaited<ReturnType<typeof retentionLossOf>>;
  try {
    found = await retentionLossOf(admin, topic, options.durable!);
  } catch (err) {
    retentionUnknown(err, logger, options);
    return undefined;
  }
  if (found.loss !== undefined) reportRetentionLoss(options, found.loss, logger, options);
  return found.readTo;
}

async function offsetForTime(base: BaseOptions, topic: string, time: Date): Promise<bigint> {
  const consumer = newConsumer({ ...base, groupId: `${base.clientId}.time` }, () => undefined);
  try {
    const offsets = await consumer.listOffsets({ topics: [topic], timestamp: BigInt(time.getTime()) });
    return offsets.get(topic)?.[0] ?? 0n;
  } finally {
    await closeConsumer(consumer).catch(() => undefined);
  }
}
