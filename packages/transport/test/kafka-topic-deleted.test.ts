// A topic deleted while the driver runs (an operator's cleanup) is created again: the driver's topic
// cache forgets it when the broker says it is unknown. A lane's reader creates its topic again
// before its next attempt and serves again; the send queue creates the topic of a refused batch
// again and sends the batch once more, instead of dropping every later record to it for good.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, TransportError, type Driver } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { Collector, dec, enc } from './conformance/helpers.js';

ensurePromiseWithResolvers();

/** A bound for what must happen, only there to fail by name instead of hanging. */
const BOUND_MS = 90_000;
let kafka: KafkaHandle;
let admin: Admin;
const drivers: Driver[] = [];

before(async () => {
  kafka = await startKafka();
  admin = new Admin(baseOptions({ urls: [kafka.url] }, 'deleted-admin'));
});
after(async () => {
  await Promise.allSettled(drivers.map((d) => d.close()));
  await admin.close();
  await kafka.stop();
});

async function open(name: string): Promise<Driver> {
  const d = await createDriver('kafka', { urls: [kafka.url], name });
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
