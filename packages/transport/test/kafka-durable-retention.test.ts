// Kafka: a durable consumer group whose committed offset fell below the partition's log start
// (retention deleted records it had not read; Kafka resets such a group in silence) is told —
// a warning and onRetentionLoss, in stream sequences (offset + 1) — before the rest is delivered.
// deleteRecords moves the log start forward exactly where retention would.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin } from '@platformatic/kafka';
import { startKafka } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type DurableMessage } from '@fsbus/transport';
import type { RetentionLoss } from '../src/driver.js';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { Collector, dec, enc } from './conformance/helpers.js';

ensurePromiseWithResolvers();

void test('kafka durable: records retention deleted before the group read them are told (warning, onRetentionLoss), then the rest is delivered', async () => {
  const kafka = await startKafka();
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'durable-retention-admin'));
  const opened: Array<{ unsubscribe(): Promise<void> }> = [];
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const none = (): void => undefined;
  const logger: DriverLogger = { debug: none, info: none, error: none, warn: (fields, msg) => void warnings.push({ fields: fields as Record<string, unknown>, msg: msg ?? '' }) };
  const driver = await createDriver('kafka', { urls: [kafka.url], logger });
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'KRET', subjects: ['kret.events.>'] });
    const topic = 'kret.events';
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i <= to; i++) driver.publish('kret.events.cdr', enc(String(i)));
      await driver.flush();
    };
    const committed = async (): Promise<bigint> => {
      const [g] = await admin.listConsumerGroupOffsets({ groups: [{ groupId: 'billing', topics: [{ name: topic, partitionIndexes: [0] }] }] });
      return g?.topics.find((x) => x.name === topic)?.partitions[0]?.committedOffset ?? -1n;
    };
    const losses: RetentionLoss[] = [];
    const options = { stream: 'KRET', durable: 'billing', from: 'all' as const, onRetentionLoss: (l: RetentionLoss) => void losses.push(l) };

    // Reads and acknowledges 1..3: the group's committed offset is 3 (the next to read).
    await publish(1, 3);
    const first = new Collector<DurableMessage>();
    const one = await driver.consumeDurable(options, (m) => {
      first.push(m);
      m.ack();
    });
    await first.until(3);
    await one.unsubscribe();
    for (let i = 0; i < 500 && (await committed()) < 3n; i++);
    assert.equal(await committed(), 3n);
    assert.deepEqual(losses, [], 'a new group lost nothing');

    // Away: 4..10 arrive (offsets 3..9), retention removes offsets 3..6 (sequences 4..7) unread.
    await publish(4, 10);
    await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 7n }] }] });

    const second: Array<{ data: string; sequence: number; lossesSoFar: number }> = [];
    const done = new Collector<true>();
    const two = await driver.consumeDurable(options, (m) => {
      second.push({ data: dec(m.data), sequence: m.sequence, lossesSoFar: losses.length });
      m.ack();
      done.push(true);
    });
    opened.push(two);
    await done.until(3);
    assert.deepEqual(losses, [{ from: 4, to: 7, count: 4 }]);
    assert.deepEqual(second, [8, 9, 10].map((n) => ({ data: String(n), sequence: n, lossesSoFar: 1 })), 'told before the rest is delivered');
    const warned = warnings.filter((w) => /retention removed/.test(w.msg));
    assert.equal(warned.length, 1, JSON.stringify(warnings));
    assert.equal(warned[0]?.fields['count'], 4);
  } finally {
    for (const sub of opened) await sub.unsubscribe();
    await driver.close();
    await admin.close();
    await kafka.stop();
  }
});
