// Redis: ioredis sends every command still waiting for its answer again after a reconnect
// (autoResendUnfulfilledCommands). What runs on arrival (here a fire-and-forget command,
// `kind: 'request'` with no reply address nor deadline) must not run twice: the route script finds
// the mark its first copy left and does nothing. An event (Pub/Sub) still goes again.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startRedis } from '@fsbus/testkit';
import type { OutboxItem } from '../src/outbox.js';
import { RedisDriver } from '../src/drivers/redis/redis-driver.js';
import { fireAndForgetRunsOnce } from './support/command-once.js';

class ItemRedisDriver extends RedisDriver {
  sendItem(item: OutboxItem): void {
    assert.equal(this.send(item), 'sent');
  }
}

void test('redis: a fire-and-forget command unacknowledged at a connection cut runs once; an event still arrives', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  try {
    await fireAndForgetRunsOnce(broker.url, { server: (o) => new RedisDriver(o), client: (o) => new ItemRedisDriver(o) });
  } finally {
    await broker.stop();
  }
});
