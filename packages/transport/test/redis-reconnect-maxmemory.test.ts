// A reconnect while Redis is at maxmemory with noeviction (the setup docs/drivers/redis.md
// recommends): the stream record and the lane group are already there, so there is nothing to
// write, and the driver must come back online; a record that is missing and cannot be written
// (OOM) is a warn line, tried again at the next reconnect. Before: the registry merge script HSET on every
// reconnect and XGROUP CREATE on an existing group were refused (OOM), the restore gave up and
// waited for a 'ready' that never came — the driver stayed 'reconnecting' for good. Real redis-server.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type Driver, type DriverLogger } from '@fsbus/transport';
import { Collector, dec, enc, within } from './conformance/helpers.js';

/** Resolves once the driver went 'reconnecting' and then 'connected' again. */
function backOnline(driver: Driver): Promise<void> {
  return new Promise((resolve) => {
    let away = false;
    const off = driver.on((e) => {
      if (e.type !== 'status') return;
      if (e.status === 'reconnecting') away = true;
      if (away && e.status === 'connected') {
        off();
        resolve();
      }
    });
  });
}

void test('redis: a reconnect while Redis is at maxmemory (noeviction) comes back online — the stream record and the lane group exist, nothing to write', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const warnings: string[] = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (_f, msg) => void warnings.push(msg ?? ''), error: () => undefined };
  const streamer = await createDriver('redis', { urls: [broker.url], namespace: 'mm', logger });
  const server = await createDriver('redis', { urls: [broker.url], namespace: 'mm', logger });
  const statuses: string[] = [];
  for (const [name, d] of [['streamer', streamer], ['server', server]] as const) d.on((e) => void (e.type === 'status' ? statuses.push(`${name}: ${e.status}`) : e.type === 'error' && statuses.push(`${name}: error ${e.error.message.slice(0, 80)}`)));
  try {
    await streamer.connect();
    await server.connect();
    await streamer.ensureStream({ name: 'M', subjects: ['m.events.>'] });
    await streamer.ensureStream({ name: 'N', subjects: ['n.events.>'] });
    // N's record lost (a delete is allowed at maxmemory): writing it again is refused, said, and the driver goes online all the same.
    await raw.hdel('mm:streams', 'N');
    const served = new Collector<string>();
    server.serve({ subject: 'm.lane', competing: true }, (m) => void served.push(dec(m.data)));
    await server.flush();
    await raw.config('SET', 'maxmemory-policy', 'noeviction');
    await raw.config('SET', 'maxmemory', '1');
    const back = [backOnline(streamer), backOnline(server)];
    // Every connection but this one's.
    const killed = await raw.call('CLIENT', 'KILL', 'TYPE', 'normal');
    assert.ok(Number(killed) > 0, 'connections killed');
    // Redis frees killed clients asynchronously, on a later turn of its loop: one more command makes one.
    await raw.ping();
    await within(Promise.all(back), 20_000, 'a driver never came back online').catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify({ streamer: streamer.status, server: server.status, statuses, warnings })}`);
    });
    assert.equal(streamer.status, 'connected');
    assert.equal(server.status, 'connected');
    assert.deepEqual(
      warnings.filter((w) => /registered/.test(w)),
      ['event stream N is not registered in Redis and could not be registered again (tried again at the next reconnect): consumers cannot start on it until then'],
      'only the missing record is written, its refusal a warn line',
    );
    await raw.config('SET', 'maxmemory', '0');
    // Still serving its lane and still routing to its stream.
    streamer.publish('m.lane', enc('work'));
    streamer.publish('m.events.cdr', enc('cdr'));
    await streamer.flush();
    assert.deepEqual(await served.until(1), ['work']);
    assert.equal(await raw.xlen('mm:stream:M'), 1);
  } finally {
    await raw.config('SET', 'maxmemory', '0').catch(() => undefined);
    await server.close();
    await streamer.close();
    raw.disconnect();
    await broker.stop();
  }
});
