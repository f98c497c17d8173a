// The agent's loss and lifecycle notices (fsbus::agent_start, agent_stop, events_dropped,
// events_resumed: no channel, so no record key) reach every partition of a Kafka events topic of
// several partitions, so each member of a consumer group reading it learns of a loss, not only the
// one that owns the partition a keyless record happened to land in. The SDK, reading every
// partition, hands out each notice once. Real broker, a 3-partition events topic made beforehand
// (as a data team would); the "agent" is a bare driver publishing what the agent publishes.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Admin, Consumer } from '@platformatic/kafka';
import { AGENT_START_SUBCLASS, EVENTS_DROPPED_SUBCLASS, encodeEventPayload, type EventSource } from '@fsbus/contract';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../../transport/src/drivers/kafka/kafka-options.js';
import { connect, type BusEvent, type FsbusClient } from '../src/index.js';

ensurePromiseWithResolvers();

const TOPIC = 'freeswitch.events';
const ENDS = 30;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function event(name: string, headers: Record<string, string>, uuid?: string): EventSource {
  const subclass = headers['Event-Subclass'];
  return { name, ...(subclass === undefined ? {} : { subclass }), ...(uuid === undefined ? {} : { uuid }), headers: new Map(Object.entries({ 'Event-Name': name, ...headers })) };
}

void describe('kafka: the agent\'s notices on an events topic of 3 partitions', { timeout: 240_000 }, () => {
  let kafka: KafkaHandle;
  let admin: Admin;
  let agent: Driver;
  let bus: FsbusClient;

  before(async () => {
    kafka = await startKafka();
    admin = new Admin(baseOptions({ urls: [kafka.url] }, 'notice-admin'));
    await admin.createTopics({ topics: [TOPIC], partitions: 3, replicas: -1 });
    agent = await createDriver('kafka', { urls: [kafka.url], name: 'notice-agent' });
    await agent.connect();
    bus = await connect({ driver: 'kafka', servers: kafka.url });
  }, { timeout: 120_000 });
  after(async () => {
    await bus.close();
    await agent.close();
    await admin.close();
    await kafka.stop();
  });

  void it('each notice is in every partition (raw consumer); the SDK hands it out once; a call\'s event stays in one partition', async () => {
    const stream = bus.events('>');
    await stream.ready;
    const start = event('CUSTOM', { 'Event-Subclass': AGENT_START_SUBCLASS, 'Event-Date-Timestamp': '1700000000000001', 'FSBus-Node-ID': 'n1' });
    const dropped = event('CUSTOM', { 'Event-Subclass': EVENTS_DROPPED_SUBCLASS, 'Event-Date-Timestamp': '1700000000000002', 'FSBus-Node-ID': 'n1', 'FSBus-Events-Dropped': '7' });
    // A CUSTOM event of FreeSWITCH's own under fsbus:: is no notice of the agent's: one partition.
    const other = event('CUSTOM', { 'Event-Subclass': 'fsbus::replay', 'Event-Date-Timestamp': '1700000000000003' });
    const call = event('CHANNEL_ANSWER', { 'Event-Date-Timestamp': '1700000000000004' }, 'call-1');
    agent.publish(`${TOPIC}.custom.fsbus.agent_start`, enc(encodeEventPayload(start, 'n1')));
    agent.publish(`${TOPIC}.custom.fsbus.events_dropped`, enc(encodeEventPayload(dropped, 'n1')));
    agent.publish(`${TOPIC}.custom.fsbus.replay`, enc(encodeEventPayload(other, 'n1')));
    agent.publish(`${TOPIC}.channel.answer`, enc(encodeEventPayload(call, 'n1')));
    // Calls whose events land in every partition (murmur2 of these keys: fixed), after the notices.
    for (let i = 0; i < ENDS; i++) agent.publish(`${TOPIC}.channel.hangup`, enc(encodeEventPayload(event('CHANNEL_HANGUP', { 'Event-Date-Timestamp': '1700000000000005' }, `end-${i}`), 'n1')));
    await agent.flush();

    // What the broker holds, partition by partition, read by a plain consumer group of one member.
    const [ends] = await admin.listOffsets({ topics: [{ name: TOPIC, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] });
    const total = (ends?.partitions ?? []).reduce((n, p) => n + Number(p.offset), 0);
    const raw = new Consumer<Buffer, Buffer, Buffer, Buffer>({ ...baseOptions({ urls: [kafka.url] }, 'notice-raw'), groupId: 'notice-raw' });
    const seen: Array<[string, number]> = [];
    try {
      const records = await raw.consume({ topics: [TOPIC], mode: 'earliest', autocommit: false });
      await new Promise<void>((resolve) => {
        records.on('data', (m: { partition: number; headers: Map<Buffer, Buffer> }) => {
          const subject = [...m.headers].find(([k]) => k.toString() === 'fsbus-subject')?.[1].toString() ?? '?';
          seen.push([subject.slice(TOPIC.length + 1), m.partition]);
          if (seen.length === total) resolve();
        });
      });
    } finally {
      await raw.close(true);
    }
    const partitionsOf = (tail: string): number[] => seen.filter(([s]) => s === tail).map(([, p]) => p).sort();
    assert.deepEqual(partitionsOf('custom.fsbus.agent_start'), [0, 1, 2], 'agent_start in every partition');
    assert.deepEqual(partitionsOf('custom.fsbus.events_dropped'), [0, 1, 2], 'events_dropped in every partition');
    assert.equal(partitionsOf('custom.fsbus.replay').length, 1, 'an event that is no notice: once');
    assert.equal(partitionsOf('channel.answer').length, 1);
    assert.deepEqual([...new Set(partitionsOf('channel.hangup'))], [0, 1, 2], 'the last calls\' events are in every partition');
    assert.equal(seen.length, 8 + ENDS);

    // The SDK reads every partition: each notice once. It has read past every copy once it has the
    // call events published after them in each of the three partitions.
    const got: BusEvent[] = [];
    for await (const e of stream) {
      got.push(e);
      if (got.filter((g) => g.uuid?.startsWith('end-') === true).length === ENDS) break;
    }
    await stream.close();
    const subclasses = got.filter((e) => e.name === 'CUSTOM').map((e) => e.subclass).sort();
    assert.deepEqual(subclasses, [AGENT_START_SUBCLASS, EVENTS_DROPPED_SUBCLASS, 'fsbus::replay']);
    assert.equal(got.length, 4 + ENDS);
  });
});
