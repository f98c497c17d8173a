// Kafka durables need what fsbus made: a stream topic of one partition (sequence = offset + 1 holds
// on one partition only), and a consumer group fsbus made (the durable name is the group id, and a
// group of another application must not be taken over: its position moved, its offsets committed).
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin, Consumer } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver, type DriverLogger, type DurableMessage } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { Collector, dec, enc } from './conformance/helpers.js';

ensurePromiseWithResolvers();

let kafka: KafkaHandle;
let admin: Admin;
before(async () => {
  kafka = await startKafka();
  admin = new Admin(baseOptions({ urls: [kafka.url] }, 'durable-shape-admin'));
});
after(async () => {
  await admin.close();
  await kafka.stop();
});

const rejection = (p: Promise<unknown>): Promise<Error & { code?: string }> =>
  p.then(
    () => assert.fail('resolved'),
    (err: Error & { code?: string }) => err,
  );

async function committedOffsets(group: string): Promise<string> {
  const [g] = await admin.listConsumerGroupOffsets({ groups: [group] });
  return JSON.stringify((g?.topics ?? []).map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, String(p.committedOffset), p.metadata])]).sort());
}

void test('kafka durable: a stream topic of several partitions is refused by name (sequences would repeat across partitions); ensureStream warns but the stream is published', async () => {
  const warnings: string[] = [];
  const none = (): void => undefined;
  const logger: DriverLogger = { debug: none, info: none, error: none, warn: (_f, msg) => void warnings.push(msg ?? '') };
  await admin.createTopics({ topics: ['kparts.events'], partitions: 3, replicas: -1 });
  const driver: Driver = await createDriver('kafka', { urls: [kafka.url], logger });
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'KPARTS', subjects: ['kparts.events.>'] });
    assert.ok(
      warnings.some((w) => /kparts\.events/.test(w) && /3 partitions/.test(w)),
      JSON.stringify(warnings),
    );
    for (let i = 1; i <= 6; i++) driver.publish(`kparts.events.e${i}`, enc(String(i)), { headers: { 'fsbus-key': `k${i}` } });
    await driver.flush();
    for (const options of [{ stream: 'KPARTS', durable: 'kparts-d' }, { stream: 'KPARTS' }, { stream: 'KPARTS', from: { sequence: 3 } }]) {
      const err = await rejection(driver.consumeDurable(options, () => undefined));
      assert.equal(err.code, TransportErrorCode.UNSUPPORTED, err.message);
      assert.match(err.message, /kparts\.events/);
      assert.match(err.message, /3 partitions/);
      assert.match(err.message, /one partition/);
    }
    assert.equal(await committedOffsets('kparts-d'), '[]', 'the refused durable made no group');
  } finally {
    await driver.close();
  }
});

void test('kafka durable: a consumer group fsbus did not make is refused (not taken over); a fresh name works, and an fsbus durable resumes', async () => {
  const driver: Driver = await createDriver('kafka', { urls: [kafka.url] });
  const opened: Array<{ unsubscribe(): Promise<void> }> = [];
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'KFOR', subjects: ['kfor.events.>'] });
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i <= to; i++) driver.publish('kfor.events.cdr', enc(String(i)));
      await driver.flush();
    };
    await publish(1, 5);

    // Another application's group: read the topic and committed offset 2.
    const plain = new Consumer<Buffer, Buffer, Buffer, Buffer>({ ...baseOptions({ urls: [kafka.url] }, 'dataplatform'), groupId: 'dataplatform-events' });
    try {
      const stream = await plain.consume({ topics: ['kfor.events'], mode: 'earliest', autocommit: false });
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        stream.on('data', (m: { offset: bigint; commit(): unknown }) => {
          if (m.offset === 1n) void Promise.resolve(m.commit()).then(() => resolve(), reject);
        });
      });
      await stream.close();
    } finally {
      await plain.close(true);
    }
    const before = await committedOffsets('dataplatform-events');
    assert.match(before, /"kfor\.events",\[\[0,"2"/);

    const err = await rejection(driver.consumeDurable({ stream: 'KFOR', durable: 'dataplatform-events' }, () => undefined));
    assert.equal(err.code, TransportErrorCode.BROKER, err.message);
    assert.match(err.message, /'dataplatform-events'/);
    assert.match(err.message, /not one fsbus made/);
    assert.match(err.message, /another durable name/);
    assert.equal(await committedOffsets('dataplatform-events'), before, 'its offsets and metadata untouched');

    // A fresh name is made and read from the start; stopped and started again it resumes.
    const first = new Collector<DurableMessage>();
    const one = await driver.consumeDurable({ stream: 'KFOR', durable: 'fsbus-fresh', from: 'all' }, (m) => {
      first.push(m);
      m.ack();
    });
    assert.deepEqual((await first.until(5)).map((m) => dec(m.data)), ['1', '2', '3', '4', '5']);
    await one.unsubscribe();
    await publish(6, 7);
    const second = new Collector<DurableMessage>();
    const two = await driver.consumeDurable({ stream: 'KFOR', durable: 'fsbus-fresh', from: 'all' }, (m) => {
      second.push(m);
      m.ack();
    });
    opened.push(two);
    assert.deepEqual((await second.until(2)).map((m) => [dec(m.data), m.sequence]), [['6', 6], ['7', 7]]);
  } finally {
    for (const sub of opened) await sub.unsubscribe();
    await driver.close();
  }
});
