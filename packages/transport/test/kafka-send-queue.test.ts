// The Kafka send queue when a produce fails on the network (a broker that never answers stands in):
// what was in flight goes back to the driver for the reconnect — but not its requests, which the
// broker may have appended already (sent again, a command would run twice). And an agent's notice
// whose partitions cannot be looked up goes out once: the failed lookup fails nothing.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin, Producer } from '@platformatic/kafka';
import { AGENT_START_SUBCLASS, eventSubjectTail } from '@fsbus/contract';
import { startKafka } from '@fsbus/testkit';
import type { DriverLogger } from '../src/driver.js';
import type { OutboxItem } from '../src/outbox.js';
import { TopicCache } from '../src/drivers/kafka/kafka-admin.js';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { GONE_REPLY_TOPIC_LOG, KafkaSendQueue } from '../src/drivers/kafka/kafka-send-queue.js';
import { KafkaHeader } from '../src/drivers/kafka/kafka-topics.js';
import { dec, enc } from './conformance/helpers.js';
import { silentBroker } from './support/silent-broker.js';

ensurePromiseWithResolvers();

void test('kafka send queue: a produce lost on the network hands back its events and replies, not its requests', { timeout: 30_000 }, async () => {
  const broker = await silentBroker();
  // requestTimeout (the connection's, 30 s by default) is passed through to the library's connections.
  const options = { clientId: 'send-queue-test', bootstrapBrokers: [broker.url], retries: 0, timeout: 500, connectTimeout: 500, requestTimeout: 500 };
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>(options);
  const warned: string[] = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (_o, msg = '') => void warned.push(msg), error: () => undefined };
  let handBack!: (unsent: OutboxItem[]) => void;
  const handedBack = new Promise<OutboxItem[]>((resolve) => (handBack = resolve));
  const queue = new KafkaSendQueue({ producer: () => producer, topics: new TopicCache(() => undefined), connected: () => true, lost: (unsent) => handBack(unsent), droppedAfterSend: () => undefined, logger }, 100, 1 << 20);
  try {
    const items: OutboxItem[] = [
      { subject: 'freeswitch.events', data: enc('event') },
      { subject: 'freeswitch.api', data: enc('request'), kind: 'request', replyTo: 'fsbus.inbox.x', correlationId: 'c1' },
      { subject: 'fsbus.inbox.y', data: enc('reply'), kind: 'reply', correlationId: 'c0' },
      { subject: 'freeswitch.node.n2', data: enc('hand-off'), replyTo: 'fsbus.inbox.x', correlationId: 'c2' },
    ];
    for (const item of items) queue.push(item);
    const unsent = await handedBack;
    assert.deepEqual(
      unsent.map((i) => dec(i.data)),
      ['event', 'reply'],
    );
    assert.equal(warned.filter((w) => w.includes('not sent again')).length, 1);
    assert.equal(queue.dropped, 0, 'taken back, not counted as dropped or refused');
  } finally {
    await producer.close(true).catch(() => undefined);
    await broker.stop();
  }
});

void test("kafka send queue: a reply to a requester's inbox that is gone is dropped, counted as a reply (not an event) and logged as a warning", { timeout: 30_000 }, async () => {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'send-queue-gone-inbox', bootstrapBrokers: ['127.0.0.1:1'], retries: 0 });
  // The inbox is gone: the record is filtered out before any produce (nothing reaches a broker).
  const topics = Object.assign(new TopicCache(() => undefined), { exists: () => Promise.resolve(false) });
  let drained!: () => void;
  const done = new Promise<void>((resolve) => (drained = resolve));
  // A reply lost without a word left its requester waiting out its timeout, unexplained.
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (_o, msg = '') => void (msg === GONE_REPLY_TOPIC_LOG && drained()), error: () => undefined };
  const queue = new KafkaSendQueue({ producer: () => producer, topics, connected: () => true, lost: () => undefined, droppedAfterSend: () => undefined, logger }, 100, 1 << 20);
  try {
    queue.push({ subject: 'fsbus.inbox.gone', data: enc('reply'), kind: 'reply', correlationId: 'c0' });
    await done;
    assert.equal(queue.dropped, 1);
    assert.equal(queue.repliesDropped, 1);
  } finally {
    await producer.close(true).catch(() => undefined);
  }
});

void test("kafka send queue: an agent's notice whose partition lookup fails goes out once, and its batch is neither lost nor refused", { timeout: 180_000 }, async () => {
  const kafka = await startKafka();
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'send-queue-notice-admin'));
  const real = new Producer<Buffer, Buffer, Buffer, Buffer>({ ...baseOptions({ urls: [kafka.url] }, 'send-queue-notice'), acks: -1 });
  // The broker is real; only the lookup of the notice's partitions fails (right after a reconnect,
  // metadata is least reliable). Nothing was sent when it failed: no reason to lose or refuse the batch.
  let lookupError = new Error('unset');
  const producer = Object.assign(real, { metadata: () => Promise.reject(lookupError) });
  const told: string[] = [];
  const debugged: string[] = [];
  const logger: DriverLogger = { debug: (_o, msg = '') => void debugged.push(msg), info: () => undefined, warn: () => undefined, error: () => undefined };
  const queue = new KafkaSendQueue(
    { producer: () => producer, topics: new TopicCache(() => admin), connected: () => true, lost: () => void told.push('lost'), droppedAfterSend: (item, why) => void told.push(`${why}: ${dec(item.data)}`), logger },
    100,
    1 << 20,
  );
  // End offsets of the notice topic's partitions, in partition order.
  const ends = async (): Promise<bigint[]> => {
    const [topic] = await admin.listOffsets({ topics: [{ name: 'nq.events', partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] });
    return [...topic!.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.offset);
  };
  try {
    await admin.createTopics({ topics: ['nq.events', 'nq.node.n2'], partitions: 3, replicas: -1 });
    // A refusal (the batch went record by record, the notice dropped), then a network-class error
    // (the batch went back as lost, its hand-off told it may have run).
    const errors = [new Error('metadata refused'), Object.assign(new Error('metadata unreachable'), { code: 'PLT_KFK_NETWORK' })];
    for (let round = 0; round < errors.length; round++) {
      lookupError = errors[round]!;
      const before = await ends();
      queue.push({ subject: 'nq.events', data: enc('{"Event-Name":"CUSTOM"}'), headers: { [KafkaHeader.SUBJECT]: `nq.events.${eventSubjectTail('CUSTOM', AGENT_START_SUBCLASS)}` } });
      queue.push({ subject: 'nq.node.n2', data: enc('hand-off'), replyTo: 'fsbus.inbox.x', correlationId: `c${round}` });
      await queue.idle();
      assert.deepEqual(told, [], 'nothing lost, nothing refused');
      assert.equal(queue.acked, 2 * (round + 1));
      // Once: into one partition, not a copy into each of the three. (Counted by partitions, not
      // records: the producer is at least once, and a produce retried on a topic just created may
      // write its batch twice into that partition.)
      const after = await ends();
      assert.equal(after.filter((end, i) => end > before[i]!).length, 1, `the notice into one partition, as before the copies: ${before.join(",")} → ${after.join(",")}`);
    }
    assert.equal(debugged.filter((m) => m.includes('partitions')).length, 2, 'the failed lookup is logged at debug');
  } finally {
    await real.close(true).catch(() => undefined);
    await admin.close();
    await kafka.stop();
  }
});
