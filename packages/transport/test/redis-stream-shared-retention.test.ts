// Redis: every agent trims the shared event stream as it appends, with the retention it set up.
// One (re)started with narrower retention must not delete the others' history: the record in
// `<ns>:streams` keeps the wider of each limit (and the union of subjects), the agent trims by
// it, and a warn line names what was kept wider than its config.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DriverLogger } from '@fsbus/transport';
import { ensureRedisStream, StreamRoutes } from '../src/drivers/redis/redis-durable.js';
import { enc } from './conformance/helpers.js';

const HOUR_MS = 3600_000;

void test('redis shared stream: an agent with narrower retention keeps and trims by the wider one (warn line); a wider one widens', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const a = await createDriver('redis', { urls: [broker.url], namespace: 'shr' });
  const b = await createDriver('redis', { urls: [broker.url], namespace: 'shr' });
  try {
    // Small radix nodes: MAXLEN ~ trims at once what it may.
    await raw.config('SET', 'stream-node-max-entries', '5');
    const record = async () => JSON.parse((await raw.hget('shr:streams', 'SHARED'))!) as { subjects: string[]; maxMessages: number | null; maxAgeMs: number | null };
    await a.connect();
    await b.connect();
    await a.ensureStream({ name: 'SHARED', subjects: ['shr.events.>'], maxAgeMs: 168 * HOUR_MS });
    for (let i = 0; i < 50; i++) a.publish('shr.events.custom', enc(String(i)));
    await a.flush();

    // fs-b restarts asking for an hour and 10 messages: the week and no count limit stay.
    await b.ensureStream({ name: 'SHARED', subjects: ['shr.events.>'], maxAgeMs: HOUR_MS, maxMessages: 10 });
    b.publish('shr.events.custom', enc('b'));
    await b.flush();
    assert.equal(await raw.xlen('shr:stream:SHARED'), 51, 'nothing of the others deleted');
    assert.deepEqual(await record(), { name: 'SHARED', key: 'shr:stream:SHARED', subjects: ['shr.events.>'], maxMessages: null, maxAgeMs: 168 * HOUR_MS });

    // The warn line (what the driver logs through its logger).
    const conn = new Redis(broker.url);
    try {
      if (conn.status !== 'ready') await once(conn, 'ready');
      const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
      const none = (): void => undefined;
      const logger: DriverLogger = { debug: none, info: none, error: none, warn: (fields, msg) => void warnings.push({ fields: fields as Record<string, unknown>, msg: msg ?? '' }) };
      await ensureRedisStream(conn, 'shr', { name: 'SHARED', subjects: ['shr.events.>'], maxAgeMs: HOUR_MS, maxMessages: 10 }, new StreamRoutes('shr'), logger);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.deepEqual(Object.keys(warnings[0]!.fields['kept'] as object), ['maxMessages', 'maxAgeMs']);

      // Asking for more widens the record for everyone; another subject is added, none dropped.
      warnings.length = 0;
      await ensureRedisStream(conn, 'shr', { name: 'SHARED', subjects: ['other.events.>'], maxAgeMs: 720 * HOUR_MS }, new StreamRoutes('shr'), logger);
      assert.deepEqual(await record(), { name: 'SHARED', key: 'shr:stream:SHARED', subjects: ['other.events.>', 'shr.events.>'], maxMessages: null, maxAgeMs: 720 * HOUR_MS });
      assert.deepEqual(warnings, []);
    } finally {
      conn.disconnect();
    }
  } finally {
    await a.close();
    await b.close();
    raw.disconnect();
    await broker.stop();
  }
});
