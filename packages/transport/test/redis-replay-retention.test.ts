// Redis: a replay (no durable name) that retention overtakes between two reads. XREAD goes on
// from the oldest entry left, so the entries trimmed unread would be skipped in silence; the
// driver tells them (a warning, onRetentionLoss) before the next entry. What retention removed
// before the replay's first read is not a loss: the replay starts at what the stream keeps.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DurableMessage, type RetentionLoss } from '@fsbus/transport';
import { capturedWarnings, Collector, dec, enc } from './conformance/helpers.js';

void test('redis replay overtaken by retention between two reads: the entries it skipped are told before the next one', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const { warnings, logger } = capturedWarnings();
  const driver = await createDriver('redis', { urls: [broker.url], namespace: 'rr', logger });
  const key = 'rr:stream:RR';
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'RR', subjects: ['rr.events.>'] });
    for (let n = 1; n <= 100; n++) driver.publish('rr.events.cdr', enc(String(n)));
    await driver.flush();
    // Trimmed before the replay starts: not told, the replay begins at sequence 51.
    assert.equal(await raw.xtrim(key, 'MAXLEN', 50), 50);

    const got = new Collector<DurableMessage>();
    const told: Array<{ loss: RetentionLoss; afterBody: string | undefined }> = [];
    const sub = await driver.consumeDurable({ stream: 'RR', from: 'all', onRetentionLoss: (loss) => void told.push({ loss, afterBody: got.items.map((m) => dec(m.data)).at(-1) }) }, got.push);
    try {
      assert.deepEqual((await got.until(50)).map((m) => m.sequence), Array.from({ length: 50 }, (_, i) => 51 + i));
      assert.deepEqual(told, [], 'what retention removed before the first read is not a loss');

      // Appended and trimmed in one transaction, so the replay's next read — waiting already, or
      // sent later — finds sequences 101–200 gone and 201–300 there.
      const [ms] = (await raw.xinfo('STREAM', key) as unknown[]).flatMap((v, i, all) => (all[i - 1] === 'last-generated-id' ? [String(v).split('-')[0]] : []));
      const tx = raw.multi();
      for (let seq = 101; seq <= 300; seq++) tx.xadd(key, `${ms}-${seq}`, 'subject', 'rr.events.cdr', 'data', String(seq), 'headers', '');
      tx.set(`${key}:seq`, '300');
      tx.xtrim(key, 'MINID', `${ms}-201`);
      await tx.exec();

      const after = await got.until(150);
      assert.deepEqual(after.slice(50).map((m) => m.sequence), Array.from({ length: 100 }, (_, i) => 201 + i));
      assert.deepEqual(told, [{ loss: { from: 101, to: 200, count: 100 }, afterBody: '100' }], 'told once, before sequence 201 was handed over');
      assert.equal(warnings.filter((w) => /retention removed/.test(w)).length, 1, `one warning (got ${JSON.stringify(warnings)})`);
    } finally {
      await sub.unsubscribe();
    }
  } finally {
    await driver.close();
    raw.disconnect();
    await broker.stop();
  }
});
