// close() on a link that hangs without closing (Redis paused, a dead peer that sends no RST):
// its goodbye and its QUIT wait for answers that never come, and the dead-link check stops
// with close(). Both are bounded in the driver; the connections are then dropped.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { createDriver } from '@fsbus/transport';
import { startRedis, type BrokerHandle } from '@fsbus/testkit';
import { dec, enc } from './conformance/helpers.js';

let redis: BrokerHandle;
before(async () => {
  redis = await startRedis();
});
after(() => redis.stop());

async function redisPid(url: string): Promise<number> {
  const conn = new Redis(url, { lazyConnect: true });
  await conn.connect();
  try {
    const pid = /process_id:(\d+)/.exec(await conn.info('server'))?.[1];
    assert.ok(pid !== undefined, 'INFO server names no process_id');
    return Number(pid);
  } finally {
    await conn.quit();
  }
}

void test('redis: close() resolves while Redis is paused (SIGSTOP)', { timeout: 60_000 }, async (t) => {
  // close()'s bound is two liveness intervals (10 s by default): 2 s here.
  const driver = await createDriver('redis', { urls: [redis.url], name: 'paused', livenessIntervalMs: 1000 });
  await driver.connect();
  driver.serve({ subject: 'ch.node', competing: false }, (req) => enc(`pong:${dec(req.data)}`));
  await driver.flush();
  // A request opens the reply connection too: every kind of connection is open when Redis stops.
  assert.equal(dec((await driver.request('ch.node', enc('1'), { timeoutMs: 5000 })).data), 'pong:1');

  const pid = await redisPid(redis.url);
  process.kill(pid, 'SIGSTOP');
  t.after(() => process.kill(pid, 'SIGCONT'));
  assert.equal(driver.publish('ch.ev', enc('unanswered')), 'sent');
  await driver.close();
  assert.equal(driver.status, 'closed');
});
