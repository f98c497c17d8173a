// Redis: entries that retention (MAXLEN ~ on the agents' appends) trimmed before a durable
// consumer's group ever read them are told like trimmed pending ones (a warning with the count,
// the consumer's onRetentionLoss), found by the gap in the stream's own sequence; a consumer that
// is not behind, or starts on a stream already trimmed, is told nothing, and nothing twice.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type DurableMessage, type Subscription } from '@fsbus/transport';
import type { RetentionLoss } from '../src/driver.js';
import { Collector, enc } from './conformance/helpers.js';

void test('redis durable: entries trimmed before the group read them are told once, with the right count', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }), error: () => undefined };
  const driver = await createDriver('redis', { urls: [broker.url], namespace: 'unr', logger });
  const key = 'unr:stream:RU';
  const subs: Subscription[] = [];
  /** A durable consumer that acks what it gets and collects it and what it is told was lost. */
  const consume = async (durable: string, from: 'all' | 'new') => {
    const got = new Collector<DurableMessage>();
    const losses: RetentionLoss[] = [];
    const sub = await driver.consumeDurable({ stream: 'RU', durable, from, onRetentionLoss: (l) => void losses.push(l) }, (m) => {
      got.push(m);
      m.ack();
    });
    subs.push(sub);
    return { got, losses, sub };
  };
  const publish = async (n: number) => {
    for (let i = 0; i < n; i++) driver.publish('ru.events.cdr', enc('x'));
    await driver.flush();
  };
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'RU', subjects: ['ru.events.>'], maxMessages: 10 });
    const live = await consume('live', 'new');
    const billing = await consume('billing', 'new');
    await publish(3);
    assert.deepEqual((await billing.got.until(3)).map((m) => m.sequence), [1, 2, 3]);
    await billing.sub.unsubscribe();
    // A group made from the start that reads nothing before it falls behind.
    await (await consume('idle', 'all')).sub.unsubscribe();

    // Appended while neither reads: MAXLEN ~ 10 trims whole nodes of the oldest. `live` keeps
    // up (ten at a time, read before the next ten: retention keeps at least ten).
    for (let i = 1; i <= 30; i++) {
      await publish(10);
      await live.got.until(3 + 10 * i);
    }
    const first = Number((await raw.xrange(key, '-', '+', 'COUNT', 1))[0]![0].split('-')[1]);
    assert.ok(first > 4, `trimmed up to ${first - 1}`);

    const billing2 = await consume('billing', 'new');
    const got = await billing2.got.until(303 - first + 1);
    assert.equal(got[0]?.sequence, first);
    assert.deepEqual(billing2.losses, [{ from: 4, to: first - 1, count: first - 4 }], 'the entries trimmed unread, before anything after them');
    const idle = await consume('idle', 'all');
    assert.equal((await idle.got.until(303 - first + 1))[0]?.sequence, first);
    assert.deepEqual(idle.losses, [{ from: 1, to: first - 1, count: first - 1 }]);
    const warned = warnings.filter((w) => /retention removed/.test(w.msg ?? ''));
    assert.deepEqual(
      warned.map((w) => [w.fields['durable'], w.fields['count']]),
      [
        ['billing', first - 4],
        ['idle', first - 1],
      ],
      `one warning each (got ${JSON.stringify(warnings)})`,
    );

    // Not behind, or new on a stream already trimmed: nothing. Started again: nothing twice.
    await billing2.sub.unsubscribe();
    const billing3 = await consume('billing', 'new');
    const audit = await consume('audit', 'all');
    await publish(1);
    assert.deepEqual((await billing3.got.until(1)).map((m) => m.sequence), [304]);
    assert.equal((await audit.got.until(304 - first + 1))[0]?.sequence, first);
    await live.got.until(304);
    assert.deepEqual([live.losses, billing3.losses, audit.losses], [[], [], []]);
    assert.equal(warnings.filter((w) => /retention removed/.test(w.msg ?? '')).length, 2);
  } finally {
    for (const sub of subs) await sub.unsubscribe();
    await driver.close();
    raw.disconnect();
    await broker.stop();
  }
});

void test('redis durable: a running consumer held by maxInFlight while retention passes it is told before the next entry', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const driver = await createDriver('redis', { urls: [broker.url], namespace: 'held' });
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'RH', subjects: ['rh.events.>'], maxMessages: 10 });
    const got = new Collector<DurableMessage>();
    const losses: RetentionLoss[] = [];
    const sub = await driver.consumeDurable({ stream: 'RH', durable: 'billing', from: 'new', maxInFlight: 1, onRetentionLoss: (l) => void losses.push(l) }, got.push);
    try {
      driver.publish('rh.events.cdr', enc('x'));
      // One handed out and held: the group reads nothing more while the stream is trimmed.
      const [held] = await got.until(1);
      assert.equal(held?.sequence, 1);
      for (let i = 0; i < 300; i++) driver.publish('rh.events.cdr', enc('x'));
      await driver.flush();
      const first = Number((await raw.xrange('held:stream:RH', '-', '+', 'COUNT', 1))[0]![0].split('-')[1]);
      assert.ok(first > 2, `trimmed up to ${first - 1}`);
      held.ack();
      const [, next] = await got.until(2);
      assert.equal(next?.sequence, first);
      assert.deepEqual(losses, [{ from: 2, to: first - 1, count: first - 2 }]);
    } finally {
      await sub.unsubscribe();
    }
  } finally {
    await driver.close();
    raw.disconnect();
    await broker.stop();
  }
});
