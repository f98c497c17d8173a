// Redis: a durable consumer's pending entries (handed out, never acknowledged) that retention
// trimmed away before its next start are lost: the driver says so (a warning with the count, and
// the consumer's onRetentionLoss), releases them, and goes on with what is left.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type DurableMessage } from '@fsbus/transport';
import type { RetentionLoss } from '../src/driver.js';
import { Collector, dec, enc } from './conformance/helpers.js';

void test('redis durable: pending entries trimmed by retention are told (warning, onRetentionLoss), then skipped', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }), error: () => undefined };
  const driver = await createDriver('redis', { urls: [broker.url], namespace: 'ret', logger });
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'RL', subjects: ['rl.events.>'] });
    const bodies = Array.from({ length: 12 }, (_, i) => String(i + 1));
    for (const n of bodies) driver.publish('rl.events.cdr', enc(n));
    await driver.flush();
    const options = { stream: 'RL', durable: 'billing', from: 'all' as const };

    // Handed out, never acknowledged: all twelve stay pending.
    const first = new Collector<DurableMessage>();
    const sub1 = await driver.consumeDurable(options, first.push);
    const sequences = (await first.until(12)).map((m) => m.sequence);
    await sub1.unsubscribe();

    // Retention (here an exact trim) removes the eleven oldest while nobody reads.
    assert.equal(await raw.xtrim('ret:stream:RL', 'MAXLEN', 1), 11);

    const losses: RetentionLoss[] = [];
    const second = new Collector<DurableMessage>();
    // Two at a time: the pending entries come in several reads, the loss is told once.
    const sub2 = await driver.consumeDurable({ ...options, maxInFlight: 2, onRetentionLoss: (l) => void losses.push(l) }, (m) => {
      second.push(m);
      m.ack();
    });
    try {
      assert.deepEqual((await second.until(1)).map((m) => dec(m.data)), ['12']);
      assert.deepEqual(losses, [{ from: sequences[0], to: sequences[10], count: 11 }], 'onRetentionLoss gets the trimmed pending entries, before what follows them');
      const warned = warnings.filter((w) => /retention removed/.test(w.msg ?? ''));
      assert.equal(warned.length, 1, `one warning (got ${JSON.stringify(warnings)})`);
      assert.equal(warned[0]?.fields['count'], 11);
    } finally {
      await sub2.unsubscribe();
    }
  } finally {
    await driver.close();
    raw.disconnect();
    await broker.stop();
  }
});
