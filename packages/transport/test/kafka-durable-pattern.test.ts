// Kafka: a durable name belongs to its pattern (support/durable-pattern.ts). The pattern is kept in
// the durable's consumer group, as the metadata of its committed offset on `fsbus.streams`.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { STREAMS_TOPIC } from '../src/drivers/kafka/kafka-streams.js';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { assertRefused, durablePatternScenario, fillStream } from './support/durable-pattern.js';

ensurePromiseWithResolvers();

void describe('kafka: a durable name belongs to its pattern', () => {
  let kafka: KafkaHandle;
  let admin: Admin;
  let driver: Driver;
  /** What the driver logged as a warning (a record it could not write would be one). */
  const warnings: string[] = [];
  const logger = { debug: () => undefined, info: () => undefined, warn: (_: object, msg?: string) => warnings.push(msg ?? ''), error: (_: object, msg?: string) => warnings.push(msg ?? '') };

  /** The group's committed offsets: `topic:partition` → offset and metadata. */
  const committed = async (group: string) => {
    const [g] = await admin.listConsumerGroupOffsets({ groups: [group] });
    return new Map((g?.topics ?? []).flatMap((t) => t.partitions.map((p) => [`${t.name}:${p.partitionIndex}`, { offset: p.committedOffset, metadata: p.metadata }] as const)));
  };
  /** Kafka commits an ack in the background: waits (bounded) until the group has it. */
  const acked = (topic: string) => async (group: string, sequence: number) => {
    for (let i = 0; i < 500; i++) {
      if (((await committed(group)).get(`${topic}:0`)?.offset ?? -1n) >= BigInt(sequence)) return;
    }
    throw new Error(`group ${group} never committed ${sequence} on ${topic}`);
  };

  before(async () => {
    kafka = await startKafka();
    admin = new Admin(baseOptions({ urls: [kafka.url] }, 'durable-pattern-admin'));
    driver = await createDriver('kafka', { urls: [kafka.url], logger });
    await driver.connect();
  });
  after(async () => {
    await driver.close();
    await admin.close();
    await kafka.stop();
  });

  void test('same pattern resumes; another pattern, or none, is refused and acknowledges nothing', async () => {
    await durablePatternScenario({ driver, stream: 'P1', root: 'r1', durable: 'd2', acked: acked('r1.events') });
    const record = (await committed('d2')).get(`${STREAMS_TOPIC}:0`);
    assert.deepEqual(JSON.parse(String(record?.metadata)), { 'fsbus-filters': { P1: 'r1.events.channel.>' } });
    assert.deepEqual(warnings, []);
  });

  void test('recorded when the durable starts: a second service is refused while the first one runs', async () => {
    const c = { driver, stream: 'P3', root: 'r3', durable: 'busy' };
    await fillStream(c);
    const sub = await driver.consumeDurable({ stream: 'P3', durable: 'busy', filter: 'r3.events.channel.>', from: 'all' }, () => undefined);
    try {
      await assertRefused(c, 'r3.events.channel.answer', 'r3.events.channel.>');
    } finally {
      await sub.unsubscribe();
    }
    assert.deepEqual(warnings, []);
  });

  // Such a group cannot be told from another application's (kafka-durable-filter.ts): taking it
  // over would move that application's position, so it is refused, its offsets untouched.
  void test('a group with committed offsets and no record (made before patterns were recorded, or not by fsbus) is refused, untouched', async () => {
    await fillStream({ driver, stream: 'P2', root: 'r2', durable: 'old' });
    await admin.alterConsumerGroupOffsets({ groupId: 'old', topics: [{ name: 'r2.events', partitionOffsets: [{ partition: 0, offset: 2n }] }] });
    const before = await committed('old');
    await assert.rejects(driver.consumeDurable({ stream: 'P2', durable: 'old', filter: 'r2.events.channel.>', from: 'all' }, () => undefined), /'old'.*not one fsbus made/);
    assert.deepEqual(await committed('old'), before);
  });
});
