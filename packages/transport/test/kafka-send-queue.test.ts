// The Kafka send queue when a produce fails on the network (a broker that never answers stands in):
// what was in flight goes back to the driver for the reconnect — but not its requests, which the
// broker may have appended already (sent again, a command would run twice).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Producer } from '@platformatic/kafka';
import type { DriverLogger } from '../src/driver.js';
import type { OutboxItem } from '../src/outbox.js';
import { TopicCache } from '../src/drivers/kafka/kafka-admin.js';
import { ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { GONE_REPLY_TOPIC_LOG, KafkaSendQueue } from '../src/drivers/kafka/kafka-send-queue.js';
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
