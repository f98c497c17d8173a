// Kafka topics that go wrong under a running driver, against one broker:
// - a topic deleted while the driver runs (an operator's cleanup) is created again: the topic cache
//   forgets it when the broker says it is unknown; a lane's reader creates its topic again before
//   its next attempt and serves again; the send queue creates the topic of a refused batch again
//   and sends the batch once more, instead of dropping every later record to it for good;
// - a request's `fsbus-reply-to` must name a reply topic (`fsbus.inbox.<name>`, a legal topic
//   name): one that is not is skipped, not run, counted (stats().requestsRefused, not dropped) and
//   logged — its reply produce failed and took every record batched with it down, or created an
//   arbitrary topic;
// - a batch the broker refuses for a record of its own (here one over an unread topic-level
//   max.message.bytes) drops that record alone.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin, Producer } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, TransportError, type Driver, type DriverLogger } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { UNANSWERABLE_REQUEST_LOG } from '../src/drivers/kafka/kafka-driver.js';
import { FOREIGN_SUBJECT_LOG } from '../src/drivers/kafka/kafka-serve.js';
import { Collector, dec, enc } from './conformance/helpers.js';

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

async function open(name: string, logger?: DriverLogger): Promise<Driver> {
  const d = await createDriver('kafka', { urls: [kafka.url], name, ...(logger === undefined ? {} : { logger }) });
  drivers.push(d);
  await d.connect();
  return d;
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
  const seen = new Collector<Record<string, unknown>>();
  const warn = (o: Record<string, unknown>, m?: string) => {
    if (m === msg) seen.push(o);
  };
  const nop = () => undefined;
  let n = 0;
  return { logger: { debug: nop, info: nop, error: nop, warn }, next: async () => (await seen.until(++n, BOUND_MS))[n - 1]! };
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
