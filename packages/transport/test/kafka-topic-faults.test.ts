// Kafka topics that go wrong under a running driver, against one broker:
// - a topic deleted while the driver runs (an operator's cleanup) is created again: the topic cache
//   forgets it when the broker says it is unknown; a lane's reader creates its topic again before
//   its next attempt and serves again; the send queue creates the topic of a refused batch again
//   and sends the batch once more, instead of dropping every later record to it for good;
// - a request's `fsbus-reply-to` must name a reply topic (`fsbus.inbox.<name>`, a legal topic
//   name): one that is not is skipped, not run, counted (stats().requestsRefused, not dropped) and
//   logged — its reply produce failed and took every record batched with it down, or created an
//   arbitrary topic;
// - a request whose `fsbus-reply-to` topic does not exist (never created, or deleted: a server never
//   creates one) is skipped the same way: run, its reply was dropped and its requester, hearing
//   nothing, retried and placed a second call. A topic created just before its request is served:
//   an "absent" answer is never remembered;
// - a batch the broker refuses for a record of its own (here one over an unread topic-level
//   max.message.bytes) drops that record alone.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin, Producer } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { TransportError, type Driver, type DriverLogger } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { randomUUID } from 'node:crypto';
import { ABSENT_REPLY_TOPIC_LOG, UNANSWERABLE_REQUEST_LOG } from '../src/drivers/kafka/kafka-driver.js';
import { KafkaReader } from '../src/drivers/kafka/kafka-reader.js';
import { FOREIGN_SUBJECT_LOG } from '../src/drivers/kafka/kafka-serve.js';
import { GONE_REPLY_TOPIC_LOG } from '../src/drivers/kafka/kafka-send-queue.js';
import { readHeaders } from '../src/drivers/kafka/kafka-wire.js';
import { Collector, dec, enc, openDriver } from './conformance/helpers.js';

ensurePromiseWithResolvers();

/** A bound for what must happen, only there to fail by name instead of hanging. */
const BOUND_MS = 90_000;
let kafka: KafkaHandle;
let admin: Admin;
const drivers: Driver[] = [];

before(async () => {
  kafka = await startKafka();
  admin = new Admin(baseOptions({ urls: [kafka.url] }, 'topic-faults-admin'));
});
after(async () => {
  await Promise.allSettled(drivers.map((d) => d.close()));
  await admin.close();
  await kafka.stop();
});

function open(name: string, logger?: DriverLogger): Promise<Driver> {
  return openDriver(drivers, 'kafka', { urls: [kafka.url], name, ...(logger === undefined ? {} : { logger }) });
}

async function exists(topic: string): Promise<boolean> {
  try {
    await admin.metadata({ topics: [topic], forceUpdate: true, retries: 0 });
    return true;
  } catch {
    return false;
  }
}

/** Deletes the topics and waits until the broker no longer lists them (each check a metadata round trip). */
async function deleteTopics(...topics: string[]): Promise<void> {
  await admin.deleteTopics({ topics });
  const until = performance.now() + BOUND_MS;
  for (const topic of topics) {
    while (await exists(topic)) if (performance.now() > until) throw new Error(`${topic} still listed after its deletion`);
  }
}

/** A driver's refused requests and drops: a request refused is not run, and not a drop. */
function refusals(d: Driver): { requestsRefused: number; dropped: number } {
  const { requestsRefused, dropped } = d.stats();
  return { requestsRefused, dropped };
}

/** A logger whose warnings with message `msg` resolve `next()` one by one. */
function watching(msg: string): { logger: DriverLogger; next(): Promise<Record<string, unknown>> } {
  return watchingEach(msg)[msg]!;
}

/** watching() for several messages on one logger. */
function watchingEach(...msgs: string[]): Record<string, { logger: DriverLogger; next(): Promise<Record<string, unknown>> }> {
  const seen = new Map(msgs.map((msg) => [msg, new Collector<Record<string, unknown>>()]));
  const warn = (o: Record<string, unknown>, m?: string) => {
    if (m !== undefined) seen.get(m)?.push(o);
  };
  const nop = () => undefined;
  const logger: DriverLogger = { debug: nop, info: nop, error: nop, warn };
  return Object.fromEntries(
    msgs.map((msg) => {
      let n = 0;
      return [msg, { logger, next: async () => (await seen.get(msg)!.until(++n, BOUND_MS))[n - 1]! }];
    }),
  );
}

/** A request as a client in another language produces it (docs/drivers/kafka.md, "From any language"). */
function rawRequest(topic: string, replyTo: string, body: string, correlationId: string = randomUUID()): { topic: string; value: Buffer; headers: Map<Buffer, Buffer> } {
  const headers = { 'fsbus-subject': topic, 'fsbus-reply-to': replyTo, 'fsbus-correlation-id': correlationId, 'fsbus-expires': String(Date.now() + BOUND_MS) };
  return { topic, value: Buffer.from(body), headers: new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])) };
}

/** A lane topic of one partition, made before the lane is served: its records are read in order. */
async function onePartitionLane(topic: string): Promise<void> {
  await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1 });
}

void test('kafka: a lane whose topic is deleted while it is served creates it again and serves again', { timeout: 180_000 }, async () => {
  const agent = await open('deleted-agent');
  const client = await open('deleted-client');
  agent.serve({ subject: 'tdl.api', competing: true }, (req) => enc(`pong:${dec(req.data)}`));
  await agent.flush();
  assert.equal(dec((await client.request('tdl.api', enc('before'), { timeoutMs: BOUND_MS })).data), 'pong:before');

  await deleteTopics('tdl.api');
  // Until the lane reads its topic again a request finds no responders, or times out unread: asked
  // again each time; each attempt ends with an answer or its own timeout.
  const until = performance.now() + BOUND_MS;
  let last: unknown;
  for (;;) {
    if (performance.now() > until) assert.fail(`the lane never served again: ${String(last)}`);
    try {
      const reply = await client.request('tdl.api', enc('after'), { timeoutMs: 5_000 });
      assert.equal(dec(reply.data), 'pong:after');
      break;
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      last = err;
    }
  }
  assert.equal(await exists('tdl.api'), true);
});

void test('kafka: records to a topic deleted while the driver runs create it again: produced, none dropped', { timeout: 180_000 }, async () => {
  const agent = await open('deleted-producer');
  agent.publish('tde.results.x', enc('0'));
  await agent.flush();
  assert.equal(agent.stats().published, 1);

  await deleteTopics('tde.results');
  for (let i = 1; i <= 3; i++) agent.publish('tde.results.x', enc(String(i)));
  await agent.flush();
  assert.deepEqual({ published: agent.stats().published, dropped: agent.stats().dropped }, { published: 4, dropped: 0 });

  // And it is read as before.
  const reader = await open('deleted-reader');
  const got = new Collector<string>();
  reader.subscribe('tde.results.>', (m) => got.push(dec(m.data)));
  await reader.flush();
  agent.publish('tde.results.x', enc('5'));
  await agent.flush();
  assert.deepEqual(await got.until(1, BOUND_MS), ['5']);
});

void test('kafka: a request whose fsbus-reply-to is no reply topic is skipped, counted as refused, logged; nothing else is lost, no topic created', { timeout: 180_000 }, async () => {
  const warned = watching(UNANSWERABLE_REQUEST_LOG);
  const agent = await open('reply-to-agent', warned.logger);
  const client = await open('reply-to-client');
  const events = new Collector<string>();
  client.subscribe('trt.events.>', (m) => events.push(dec(m.data)));
  let ran = 0;
  agent.serve({ subject: 'trt.api', competing: true }, (req) => {
    ran++;
    for (let i = 0; i < 3; i++) agent.publish('trt.events.custom', enc(`${dec(req.data)}:${i}`));
    return enc(`pong:${dec(req.data)}`);
  });
  await agent.flush();
  await client.flush();

  const raw = new Producer({ clientId: 'reply-to-raw', bootstrapBrokers: [kafka.bootstrap] });
  try {
    const request = (replyTo: string) => ({
      topic: 'trt.api',
      value: Buffer.from('bad'),
      headers: new Map(Object.entries({ 'fsbus-subject': 'trt.api', 'fsbus-reply-to': replyTo, 'fsbus-correlation-id': replyTo, 'fsbus-expires': String(Date.now() + BOUND_MS) }).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
    });
    await raw.send({ messages: [request('bad topic!')] });
    assert.equal((await warned.next())['reply_to'], 'bad topic!');
    // Well formed, but no requester's inbox: answering would create it.
    await raw.send({ messages: [request('trt.not-an-inbox')] });
    // Logged once per burst: the line after the first says how many it stands for.
    assert.equal((await warned.next())['reply_to'], 'trt.not-an-inbox');
  } finally {
    await raw.close();
  }
  assert.equal(ran, 0);
  assert.deepEqual(refusals(agent), { requestsRefused: 2, dropped: 0 });

  assert.equal(dec((await client.request('trt.api', enc('good'), { timeoutMs: BOUND_MS })).data), 'pong:good');
  assert.deepEqual((await events.until(3, BOUND_MS)).toSorted(), ['good:0', 'good:1', 'good:2']);
  await agent.flush();
  assert.deepEqual(refusals(agent), { requestsRefused: 2, dropped: 0 });
  await assert.rejects(admin.metadata({ topics: ['trt.not-an-inbox'], forceUpdate: true, retries: 0 }), /unknown topic/i);
});

void test('kafka: a request whose fsbus-reply-to topic was never created is not run: counted as refused, logged; a valid request after it is served', { timeout: 180_000 }, async () => {
  await onePartitionLane('tni.api');
  const warned = watching(ABSENT_REPLY_TOPIC_LOG);
  const agent = await open('no-inbox-agent', warned.logger);
  const client = await open('no-inbox-client');
  const ran: string[] = [];
  agent.serve({ subject: 'tni.api', competing: true }, (req) => {
    ran.push(dec(req.data));
    return enc(`pong:${dec(req.data)}`);
  });
  await agent.flush();

  const never = `fsbus.inbox.not-created-${randomUUID()}`;
  const raw = new Producer({ clientId: 'no-inbox-raw', bootstrapBrokers: [kafka.bootstrap] });
  try {
    // The reviewer's originate: it ran, placed a call, and its reply went nowhere.
    await raw.send({ messages: [rawRequest('tni.api', never, 'originate')] });
  } finally {
    await raw.close();
  }
  // One partition, read in order: once this is answered, the request before it was read. The
  // client's inbox is new to the agent as well: created and sent at once, it is served.
  assert.equal(dec((await client.request('tni.api', enc('good'), { timeoutMs: BOUND_MS })).data), 'pong:good');
  assert.deepEqual(ran, ['good']);
  await agent.flush();
  assert.deepEqual({ ...refusals(agent), repliesDropped: agent.stats().repliesDropped }, { requestsRefused: 1, dropped: 0, repliesDropped: 0 });
  assert.deepEqual(await warned.next(), { topic: 'tni.api', reply_to: never });
  assert.equal(await exists(never), false, 'a server never creates a reply topic');
});

/** Reads a reply topic from its start, as a requester in another language does: `<correlation id>:<reply>`. */
function readReplies(topic: string): { reader: KafkaReader; replies: Collector<string> } {
  const replies = new Collector<string>();
  const reader = new KafkaReader(baseOptions({ urls: [kafka.url] }, `${topic}-reader`), { topic, group: topic, mode: 'earliest', commitEach: false }, (m) =>
    replies.push(`${readHeaders(m)['fsbus-correlation-id']}:${m.value?.toString() ?? ''}`),
  );
  reader.start();
  return { reader, replies };
}

void test('kafka: a reply topic created just before its request is served, though a request to it was refused a moment before', { timeout: 180_000 }, async () => {
  await onePartitionLane('tnc.api');
  const warned = watching(ABSENT_REPLY_TOPIC_LOG);
  const agent = await open('new-inbox-agent', warned.logger);
  const ran: string[] = [];
  agent.serve({ subject: 'tnc.api', competing: true }, (req) => {
    ran.push(dec(req.data));
    return enc(`pong:${dec(req.data)}`);
  });
  await agent.flush();

  const inbox = `fsbus.inbox.raw-${randomUUID()}`;
  const raw = new Producer({ clientId: 'new-inbox-raw', bootstrapBrokers: [kafka.bootstrap] });
  try {
    await raw.send({ messages: [rawRequest('tnc.api', inbox, 'early', 'c-early')] });
    assert.equal((await warned.next())['reply_to'], inbox);
    // What a requester does: create its reply topic, then send at once. "Absent" was not remembered.
    await admin.createTopics({ topics: [inbox], partitions: 1, replicas: -1 });
    await raw.send({ messages: [rawRequest('tnc.api', inbox, 'late', 'c-late')] });
  } finally {
    await raw.close();
  }
  const { reader, replies } = readReplies(inbox);
  try {
    assert.deepEqual(await replies.until(1, BOUND_MS), ['c-late:pong:late']);
  } finally {
    await reader.close();
  }
  assert.deepEqual(ran, ['late']);
  assert.deepEqual(refusals(agent), { requestsRefused: 1, dropped: 0 });
});

void test("kafka: a reply topic deleted after it was answered: the next reply to it is dropped with a warning, and requests to it after that are refused", { timeout: 180_000 }, async () => {
  await onePartitionLane('tnd.api');
  const warned = watchingEach(ABSENT_REPLY_TOPIC_LOG, GONE_REPLY_TOPIC_LOG);
  const agent = await open('gone-inbox-agent', warned[ABSENT_REPLY_TOPIC_LOG]!.logger);
  const ran: string[] = [];
  agent.serve({ subject: 'tnd.api', competing: true }, (req) => {
    ran.push(dec(req.data));
    return enc(`pong:${dec(req.data)}`);
  });
  await agent.flush();

  const inbox = `fsbus.inbox.raw-${randomUUID()}`;
  await admin.createTopics({ topics: [inbox], partitions: 1, replicas: -1 });
  const raw = new Producer({ clientId: 'gone-inbox-raw', bootstrapBrokers: [kafka.bootstrap] });
  try {
    await raw.send({ messages: [rawRequest('tnd.api', inbox, 'first', 'c1')] });
    const { reader, replies } = readReplies(inbox);
    try {
      assert.deepEqual(await replies.until(1, BOUND_MS), ['c1:pong:first']);
    } finally {
      await reader.close();
    }
    // Its requester went away (a driver deletes its inbox on close). The agent saw the topic: the
    // next request runs, and its reply is where the agent learns the topic is gone.
    await deleteTopics(inbox);
    await raw.send({ messages: [rawRequest('tnd.api', inbox, 'second', 'c2')] });
    assert.ok(await warned[GONE_REPLY_TOPIC_LOG]!.next());
    await raw.send({ messages: [rawRequest('tnd.api', inbox, 'third', 'c3')] });
    assert.equal((await warned[ABSENT_REPLY_TOPIC_LOG]!.next())['reply_to'], inbox);
  } finally {
    await raw.close();
  }
  assert.deepEqual(ran, ['first', 'second']);
  assert.deepEqual({ ...refusals(agent), repliesDropped: agent.stats().repliesDropped }, { requestsRefused: 1, dropped: 1, repliesDropped: 1 });
  assert.equal(await exists(inbox), false, 'not created again by a reply');
});

void test("kafka: a record on a lane's topic whose fsbus-subject is not the lane's (forward_to below the broadcast lane) is not run: counted as refused, logged", { timeout: 180_000 }, async () => {
  const warned = watching(FOREIGN_SUBJECT_LOG);
  const agent = await open('foreign-agent', warned.logger);
  const client = await open('foreign-client');
  const ran: string[] = [];
  agent.serve({ subject: 'tfs.broadcast', competing: false }, (req) => {
    ran.push(dec(req.data));
    return enc(`pong:${dec(req.data)}`);
  });
  await agent.flush();

  const raw = new Producer({ clientId: 'foreign-raw', bootstrapBrokers: [kafka.bootstrap] });
  try {
    // What an agent's forward_to copy to `tfs.broadcast.x` was: a plain publish to that subject.
    const header = (subject: string) => new Map([[Buffer.from('fsbus-subject'), Buffer.from(subject)]]);
    await raw.send({ messages: [{ topic: 'tfs.broadcast', value: Buffer.from('{"success":true}'), headers: header('tfs.broadcast.x') }] });
  } finally {
    await raw.close();
  }
  // One partition, read in order: once this is answered, the record before it was read.
  assert.equal(dec((await client.request('tfs.broadcast', enc('good'), { timeoutMs: BOUND_MS })).data), 'pong:good');
  assert.deepEqual(ran, ['good']);
  assert.deepEqual(refusals(agent), { requestsRefused: 1, dropped: 0 });
  assert.deepEqual(await warned.next(), { topic: 'tfs.broadcast', subject: 'tfs.broadcast.x' });
});

void test('kafka: a batch the broker refuses for one record drops that record alone; the others are produced', { timeout: 180_000 }, async () => {
  // An override on a topic the driver does not watch: known to the broker alone.
  await admin.createTopics({ topics: ['trb.results'], partitions: 1, replicas: -1, configs: [{ name: 'max.message.bytes', value: String(16 * 1024) }] });
  const agent = await open('refused-agent');
  const reader = await open('refused-reader');
  const got = new Collector<string>();
  reader.subscribe('trb.results.>', (m) => got.push(`${m.subject}:${m.data.byteLength}`));
  await reader.flush();
  // One tick: one batch.
  agent.publish('trb.results.a', enc('1'));
  agent.publish('trb.results.big', new Uint8Array(20 * 1024));
  agent.publish('trb.results.b', enc('2'));
  await agent.flush();
  assert.deepEqual({ published: agent.stats().published, dropped: agent.stats().dropped }, { published: 2, dropped: 1 });
  assert.deepEqual(await got.until(2, BOUND_MS), ['trb.results.a:1', 'trb.results.b:1']);
});
