// What the Kafka driver produces to a command lane runs on arrival: the send queue must never
// produce it twice after a lost connection (kafka-send-queue.ts keeps only what does not run on
// arrival), and the outbox must not send a request whose requester gave up. These check the marks
// on the records the driver really builds: a request, a gather, a hand-off (an async command is
// marked by its subject, command-subjects.test.ts).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { isStale, runsOnArrival, type OutboxItem } from '../src/outbox.js';
import { kafkaCall, type CallContext } from '../src/drivers/kafka/kafka-request.js';
import { RecentRequests, serveRequest } from '../src/drivers/kafka/kafka-serve.js';
import type { KafkaInbox } from '../src/drivers/kafka/kafka-inbox.js';
import type { KafkaMessage } from '../src/drivers/kafka/kafka-wire.js';
import { KafkaHeader, topicFor } from '../src/drivers/kafka/kafka-topics.js';
import { createDriver } from '../src/index.js';

/** A call context that records what is enqueued; the inbox never answers (the calls time out). */
function recordingContext(outcome: 'sent' | 'dropped' = 'sent'): { ctx: CallContext; enqueued: OutboxItem[]; next: Promise<OutboxItem> } {
  const enqueued: OutboxItem[] = [];
  let wake!: (item: OutboxItem) => void;
  const next = new Promise<OutboxItem>((resolve) => (wake = resolve));
  const inbox = { topic: 'fsbus.inbox.test', open: () => Promise.resolve(), wait: () => undefined, cancel: () => undefined } as unknown as KafkaInbox;
  const ctx: CallContext = {
    inbox,
    topicFor: (s) => topicFor(s, 'freeswitch'),
    served: () => Promise.resolve(true),
    enqueue: (item) => {
      enqueued.push(item);
      wake(item);
      return outcome;
    },
    unsendable: () => undefined,
    learn: () => Promise.resolve(),
  };
  return { ctx, enqueued, next };
}

void test('kafka: a request and a gather run on arrival, and are stale once their requester settled', async () => {
  for (const gather of [undefined, { expect: 2 }]) {
    const { ctx, next } = recordingContext();
    const call = kafkaCall(ctx, 'freeswitch.api', new Uint8Array([1]), { timeoutMs: 50 }, gather);
    const item = await next;
    assert.equal(runsOnArrival(item), true, 'never produced again after a lost connection');
    assert.equal(isStale(item), false);
    await call.then(
      () => undefined,
      () => undefined,
    );
    assert.equal(isStale(item), true, 'not sent from the outbox once nobody waits');
  }
});

void test('kafka: a request handed off to another lane runs on arrival', () => {
  const { ctx, enqueued } = recordingContext();
  const headers = { [KafkaHeader.SUBJECT]: 'freeswitch.api', [KafkaHeader.REPLY_TO]: 'fsbus.inbox.x', [KafkaHeader.CORRELATION_ID]: 'c1', [KafkaHeader.EXPIRES]: String(Date.now() + 60_000) };
  const message = { topic: 'freeswitch.api', partition: 0, offset: 0n, key: Buffer.alloc(0), value: Buffer.from('{}'), headers: new Map() } as unknown as KafkaMessage;
  void serveRequest(
    message,
    headers,
    (req) => {
      req.forward('freeswitch.node.n2');
      return undefined;
    },
    { lane: 'freeswitch.api', enqueue: (item) => ctx.enqueue(item), topicFor: (s) => ctx.topicFor(s), served: () => Promise.resolve(true), expired: () => undefined, unanswerable: () => undefined, knownReplyTopic: () => true, replyTopicExists: () => Promise.resolve(true), absentReplyTopic: () => undefined, closed: () => false, foreign: () => undefined, refusedExpires: () => assert.fail('its fsbus-expires is fine'), ran: new RecentRequests(), running: () => undefined, logger: undefined },
  );
  assert.equal(enqueued.length, 1);
  assert.equal(enqueued[0]!.subject, 'freeswitch.node.n2');
  assert.equal(runsOnArrival(enqueued[0]!), true);
});

void test('kafka: a request read after its fsbus-expires is not run and is reported with how late it came', () => {
  const { ctx } = recordingContext();
  const headers = { [KafkaHeader.SUBJECT]: 'freeswitch.api', [KafkaHeader.REPLY_TO]: 'fsbus.inbox.x', [KafkaHeader.CORRELATION_ID]: 'c2', [KafkaHeader.EXPIRES]: String(Date.now() - 60_000) };
  const message = { topic: 'freeswitch.api', partition: 0, offset: 1n, key: Buffer.alloc(0), value: Buffer.from('{}'), headers: new Map() } as unknown as KafkaMessage;
  const expired: Array<[string, number]> = [];
  void serveRequest(message, headers, () => assert.fail('an expired request ran'), {
    lane: 'freeswitch.api',
    enqueue: (item) => ctx.enqueue(item),
    topicFor: (s) => ctx.topicFor(s),
    served: () => Promise.resolve(true),
    expired: (topic, lateMs) => void expired.push([topic, lateMs]),
    unanswerable: () => assert.fail('its reply topic is fine'),
    knownReplyTopic: () => true,
    replyTopicExists: () => Promise.resolve(true),
    absentReplyTopic: () => assert.fail('its reply topic exists'),
    closed: () => false,
    foreign: () => assert.fail("its subject is the lane's"),
    refusedExpires: () => assert.fail('its fsbus-expires is epoch milliseconds'),
    ran: new RecentRequests(),
    running: () => undefined,
    logger: undefined,
  });
  assert.equal(expired.length, 1);
  assert.equal(expired[0]![0], 'freeswitch.api');
  assert.ok(expired[0]![1] >= 60_000, `late by ${expired[0]![1]} ms`);
});

void test('kafka: a request whose fsbus-expires is in seconds is not run, counted through the context, and its requester told', () => {
  const { ctx, enqueued } = recordingContext();
  const seconds = String(Math.floor(Date.now() / 1000) + 60);
  const headers = { [KafkaHeader.SUBJECT]: 'freeswitch.api', [KafkaHeader.REPLY_TO]: 'fsbus.inbox.x', [KafkaHeader.CORRELATION_ID]: 'c3', [KafkaHeader.EXPIRES]: seconds };
  const message = { topic: 'freeswitch.api', partition: 0, offset: 2n, key: Buffer.alloc(0), value: Buffer.from('{"correlation_id":"k3"}'), headers: new Map() } as unknown as KafkaMessage;
  const refused: Array<[string, string]> = [];
  void serveRequest(message, headers, () => assert.fail('a request with its deadline in seconds ran'), {
    lane: 'freeswitch.api',
    enqueue: (item) => ctx.enqueue(item),
    topicFor: (s) => ctx.topicFor(s),
    served: () => Promise.resolve(true),
    expired: () => assert.fail('refused, not taken for late'),
    unanswerable: () => assert.fail('its reply topic is fine'),
    knownReplyTopic: () => true,
    replyTopicExists: () => Promise.resolve(true),
    absentReplyTopic: () => assert.fail('its reply topic exists'),
    closed: () => false,
    foreign: () => assert.fail("its subject is the lane's"),
    refusedExpires: (subject, shown) => void refused.push([subject, shown]),
    ran: new RecentRequests(),
    running: () => undefined,
    logger: undefined,
  });
  assert.deepEqual(refused, [['freeswitch.api', seconds]], 'the refusal counted once, with the value shown');
  assert.equal(enqueued.length, 1, 'the requester is told why');
  assert.equal(enqueued[0]!.subject, 'fsbus.inbox.x');
});

void test('kafka: a request the driver could not even buffer fails at once, not at its timeout', async () => {
  const { ctx } = recordingContext('dropped');
  await assert.rejects(kafkaCall(ctx, 'freeswitch.api', new Uint8Array([1]), { timeoutMs: 2_147_483_647 }, undefined), { code: 'FSBUS_ERR_TRANSPORT_BROKER', message: /could not be sent/ });
});

void test('kafka: publishes to a subject Kafka cannot carry are dropped, each counted, and logged once per burst (no broker needed)', async () => {
  const warned: Array<[string, unknown, unknown]> = [];
  const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (o: Record<string, unknown>, msg: string) => void warned.push([msg, o['reason'], o['suppressed']]) };
  const driver = await createDriver('kafka', { urls: ['kafka://127.0.0.1:1'], logger });
  try {
    for (let i = 0; i < 3; i++) assert.equal(driver.publish('freeswitch.events.has space', new Uint8Array([1])), 'dropped');
    assert.equal(driver.stats().dropped, 3);
    assert.deepEqual(warned, [['publish refused, dropped', 'not a subject Kafka can carry', undefined]]);
  } finally {
    await driver.close();
  }
  // Closing writes the line the burst held back: it stands for the other two.
  assert.deepEqual(warned.at(-1), ['publish refused, dropped', 'not a subject Kafka can carry', 2]);
});
