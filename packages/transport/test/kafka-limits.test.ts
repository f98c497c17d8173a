// What the Kafka broker takes, learned from it (DescribeConfigs), on a real broker started with
// message.max.bytes = 64 KiB: maxPayloadBytes says it; a request or gather that can never pass is
// FSBUS_ERR_TRANSPORT_UNSUPPORTED at once (not a timeout); a lane topic's own max.message.bytes
// counts; a publish over it is dropped, counted and logged, and never takes the records batched
// with it down (nor do small records sent together make a batch the broker refuses).
import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver, type DriverLogger } from '@fsbus/transport';
import { RECORD_RESERVE_BYTES } from '../src/drivers/kafka/kafka-limits.js';
import { ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { Collector, dec, openDriver } from './conformance/helpers.js';

const LIMIT = 64 * 1024;
const TOPIC_LIMIT = 16 * 1024;
const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);

void describe('kafka: the broker\'s size limit', { timeout: 240_000 }, () => {
  let kafka: KafkaHandle;
  const drivers: Driver[] = [];
  const open = (name: string, logger?: DriverLogger): Promise<Driver> => openDriver(drivers, 'kafka', { urls: [kafka.url], name, ...(logger === undefined ? {} : { logger }) });

  before(async () => {
    kafka = await startKafka({ messageMaxBytes: LIMIT });
  }, { timeout: 120_000 });
  after(async () => {
    await Promise.allSettled(drivers.map((d) => d.close()));
    await kafka.stop();
  });

  void it('maxPayloadBytes: unknown before connect, message.max.bytes less the reserve once connected, unknown after close', async () => {
    const d = await createDriver('kafka', { urls: [kafka.url], name: 'limits-plain' });
    drivers.push(d);
    assert.equal(d.maxPayloadBytes, undefined);
    await d.connect();
    assert.equal(d.maxPayloadBytes, LIMIT - RECORD_RESERVE_BYTES);
    await d.close();
    assert.equal(d.maxPayloadBytes, undefined);
  });

  void it('a request or gather over the broker\'s limit is UNSUPPORTED at once, not a timeout; one at maxPayloadBytes is carried', async () => {
    const server = await open('limits-server');
    const arrived: number[] = [];
    server.serve({ subject: 'limits.big', competing: true }, (req) => {
      arrived.push(req.data.byteLength);
      return req.data;
    });
    await server.flush();
    const client = await open('limits-client');
    // Long timeouts: had the driver sent them, the broker's refusal would show only as these running out.
    const over = { code: TransportErrorCode.UNSUPPORTED, message: /the message is \d+ bytes with its headers and framing, over the broker's message\.max\.bytes of 65536 bytes$/ };
    await assert.rejects(client.request('limits.big', bytes(LIMIT + 10), { timeoutMs: 60_000 }), { ...over, message: new RegExp(`^request to limits\\.big: ${over.message.source}`) });
    await assert.rejects(client.gather('limits.big', bytes(LIMIT + 10), { timeoutMs: 60_000 }), { ...over, message: new RegExp(`^gather on limits\\.big: ${over.message.source}`) });
    const max = client.maxPayloadBytes!;
    const reply = await client.request('limits.big', bytes(max), { timeoutMs: 30_000 });
    assert.equal(reply.data.byteLength, max);
    assert.deepEqual(arrived, [max], 'nothing over the limit reached the lane');
  });

  void it('a lane topic\'s own max.message.bytes counts: the server\'s maxPayloadBytes, and a request over it is refused naming the topic', async () => {
    ensurePromiseWithResolvers();
    const admin = new Admin({ clientId: 'limits-admin', bootstrapBrokers: [kafka.bootstrap] });
    try {
      await admin.createTopics({ topics: ['limits.small'], partitions: 6, replicas: -1, configs: [{ name: 'max.message.bytes', value: String(TOPIC_LIMIT) }] });
    } finally {
      await admin.close();
    }
    const server = await open('limits-small-server');
    server.serve({ subject: 'limits.small', competing: true }, (req) => req.data);
    await server.flush();
    assert.equal(server.maxPayloadBytes, TOPIC_LIMIT - RECORD_RESERVE_BYTES);
    const client = await open('limits-small-client');
    assert.equal(client.maxPayloadBytes, LIMIT - RECORD_RESERVE_BYTES, 'a topic it never used does not count');
    await assert.rejects(client.request('limits.small', bytes(TOPIC_LIMIT + 10), { timeoutMs: 60_000 }), {
      code: TransportErrorCode.UNSUPPORTED,
      message: /^request to limits\.small: the message is \d+ bytes with its headers and framing, over the topic limits\.small's max\.message\.bytes of 16384 bytes$/,
    });
    assert.equal(client.maxPayloadBytes, TOPIC_LIMIT - RECORD_RESERVE_BYTES, 'the lane it requested now counts');
    assert.equal(dec((await client.request('limits.small', bytes(1000), { timeoutMs: 30_000 })).data), 'a'.repeat(1000));
  });

  void it('a publish over the limit is dropped, counted and logged; the small records around it arrive, batched under the limit', async () => {
    const warned: Array<{ msg: string; obj: { err?: { code?: string; message?: string }; subject?: string; key?: string } }> = [];
    const quiet = () => undefined;
    const logger: DriverLogger = { debug: quiet, info: quiet, error: quiet, warn: (obj, msg = '') => void warned.push({ msg, obj }) };
    const publisher = await open('limits-publisher', logger);
    const reader = await open('limits-reader');
    const got = new Collector<number>();
    reader.subscribe('limits.events.>', (m) => got.push(m.data.byteLength));
    await reader.flush();
    // One tick: 100 records of 2 KB (200 KB, three times what the broker takes in one batch) around one it can never take.
    const outcomes: string[] = [];
    for (let i = 0; i < 50; i++) outcomes.push(publisher.publish('limits.events.small', bytes(2000)));
    // An event of a call: the line names its subject and uuid (the record key), not only the topic.
    const head = '{"event_name":"CHANNEL_DATA","timestamp":1,"node_id":"n1","uuid":"u-big","headers":{"x":"';
    outcomes.push(publisher.publish('limits.events.big', new TextEncoder().encode(head + 'a'.repeat(LIMIT) + '"}}')));
    for (let i = 0; i < 50; i++) outcomes.push(publisher.publish('limits.events.small', bytes(2000)));
    assert.equal(outcomes[50], 'dropped');
    assert.ok(outcomes.every((o, i) => i === 50 || o === 'sent'));
    await publisher.flush();
    assert.deepEqual(await got.until(100), Array.from({ length: 100 }, () => 2000));
    const stats = publisher.stats();
    assert.deepEqual([stats.published, stats.dropped], [100, 1]);
    assert.deepEqual(
      warned.map((w) => [w.msg, w.obj.err?.code, w.obj.subject]),
      [['publish refused, dropped', TransportErrorCode.UNSUPPORTED, 'limits.events.big']],
    );
    assert.match(warned[0]!.obj.err?.message ?? '', /^kafka record of limits\.events\.big \(key u-big\) to topic limits\.events: /);
  });
});
