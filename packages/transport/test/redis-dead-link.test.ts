// A link to Redis that hangs without closing: ioredis would notice only when the kernel gives up
// on the socket (a quarter of an hour with data unacknowledged, hours for a connection in a
// blocking read). The driver's PING (every livenessIntervalMs, 5 s by default; dead after two
// unanswered) takes it for dead, drops every connection — command, Pub/Sub, replies, each lane
// reader — and ioredis dials again: what was published into the hung link arrives, and a lane
// served over it answers again. The hung driver runs with a 1 s interval, so the test does not
// wait out the default 10–15 s — and so also shows that the option sets the detection.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver } from '@fsbus/transport';
import { startRedis, type BrokerHandle } from '@fsbus/testkit';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

/** The hung driver's livenessIntervalMs: taken for dead within 2–3 s. */
const LIVENESS_MS = 1000;

let redis: BrokerHandle;
before(async () => {
  redis = await startRedis();
});
after(() => redis.stop());

void test('redis: a link that hangs is taken for dead; the driver dials again, what was published into it arrives and its lane answers', { timeout: 90_000 }, async (t) => {
  const relay = await startRelay(Number(new URL(redis.url).port));
  t.after(() => relay.close());
  const hung = await createDriver('redis', { urls: [relay.url(redis.url)], name: 'hung', livenessIntervalMs: LIVENESS_MS });
  t.after(() => hung.close());
  const direct = await createDriver('redis', { urls: [redis.url], name: 'direct' });
  t.after(() => direct.close());
  await Promise.all([hung.connect(), direct.connect()]);
  const got = new Collector<string>();
  const seen = new Set<string>();
  direct.subscribe('dl.ev', (m) => {
    const s = dec(m.data);
    if (!seen.has(s)) got.push(s); // at least once: ioredis sends again what was unanswered
    seen.add(s);
  });
  hung.serve({ subject: 'dl.node', competing: false }, (req) => enc(`pong:${dec(req.data)}`));
  await Promise.all([hung.flush(), direct.flush()]);
  assert.equal(dec((await direct.request('dl.node', enc('1'), { timeoutMs: 5000 })).data), 'pong:1');

  relay.stall();
  for (let i = 0; i < 10; i++) assert.equal(hung.publish('dl.ev', enc(String(i))), 'sent');
  // Within two liveness intervals and a bit, not the kernel's quarter of an hour.
  await waitStatus(hung, 'reconnecting', 30_000);
  await waitStatus(hung, 'connected', 30_000);
  await hung.flush();
  assert.deepEqual((await got.until(10)).sort(), Array.from({ length: 10 }, (_, i) => String(i)).sort());
  // The lane reader's connection was dialled again too: its blocked read goes on.
  assert.equal(dec((await direct.request('dl.node', enc('2'), { timeoutMs: 10_000 })).data), 'pong:2');
});
