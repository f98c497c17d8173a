// A request's `fsbus-reply-to` must name a reply topic (`fsbus.inbox.<name>`, a legal topic name):
// one that is not is skipped, not run, counted and logged — its reply produce failed and took every
// record batched with it down, or created an arbitrary topic. And a batch the broker refuses for a
// record of its own (here one over an unread topic-level max.message.bytes) drops that record alone.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin, Producer } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, type Driver, type DriverLogger } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { UNANSWERABLE_REQUEST_LOG } from '../src/drivers/kafka/kafka-driver.js';
import { Collector, dec, enc } from './conformance/helpers.js';

ensurePromiseWithResolvers();

const BOUND_MS = 60_000;
let kafka: KafkaHandle;
let admin: Admin;
const drivers: Driver[] = [];

before(async () => {
  kafka = await startKafka();
  admin = new Admin(baseOptions({ urls: [kafka.url] }, 'reply-to-admin'));
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

void test('kafka: a request whose fsbus-reply-to is no reply topic is skipped, counted, logged; nothing else is lost, no topic created', { timeout: 180_000 }, async () => {
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
  assert.equal(agent.stats().dropped, 2);

  assert.equal(dec((await client.request('trt.api', enc('good'), { timeoutMs: BOUND_MS })).data), 'pong:good');
  assert.deepEqual((await events.until(3, BOUND_MS)).toSorted(), ['good:0', 'good:1', 'good:2']);
  await agent.flush();
  assert.equal(agent.stats().dropped, 2);
  await assert.rejects(admin.metadata({ topics: ['trt.not-an-inbox'], forceUpdate: true, retries: 0 }), /unknown topic/i);
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
