// mosquitto `max_packet_size`: the broker says its Maximum Packet Size in the MQTT 5 CONNACK and
// disconnects a client that sends more (reason 0x95). A PUBLISH over it is refused before it is
// sent (dropped, counted; a request rejected at once); one mqtt.js holds unacknowledged when the
// limit shrinks across a reconnect is dropped, not sent into a disconnect on every reconnect.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import { startMosquitto, type MosquittoOptions } from '@fsbus/testkit';
import { Collector, dec, enc, waitStatus, within } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';
import { MQTT_PACKET_RESERVE_BYTES } from '../src/drivers/mqtt/mqtt-driver.js';

const MAX_PACKET = 65_536;
/** A bound for what must happen, only there to fail by name instead of hanging. */
const BOUND_MS = 20_000;

async function subscriber(url: string, collector: Collector<string>): Promise<Driver> {
  const d = await createDriver('mqtt', { urls: [url] });
  await d.connect();
  d.subscribe('mp.events.>', (m) => collector.push(`${m.subject}:${m.data.byteLength}`));
  await d.flush();
  return d;
}

void test('mqtt: a publish over the broker maximum packet size is dropped and counted, a request refused, the connection stays up', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto({ maxPacketBytes: MAX_PACKET });
  const agent = await createDriver('mqtt', { urls: [broker.url] });
  const got = new Collector<string>();
  let client: Driver | undefined;
  try {
    await agent.connect();
    client = await subscriber(broker.url, got);
    const statuses: string[] = [];
    agent.on((e) => {
      if (e.type === 'status') statuses.push(e.status);
    });
    agent.serve({ subject: 'mp.api', competing: true }, (req) => enc(`pong:${dec(req.data)}`));
    await agent.flush();

    assert.equal(agent.publish('mp.events.big', new Uint8Array(100_000)), 'dropped');
    assert.equal(agent.stats().dropped, 1);
    // Caller headers are weighed too.
    const max = agent.maxPayloadBytes;
    assert.equal(max, MAX_PACKET - MQTT_PACKET_RESERVE_BYTES);
    assert.equal(agent.publish('mp.events.big', new Uint8Array(max), { headers: { h: 'x'.repeat(2 * MQTT_PACKET_RESERVE_BYTES) } }), 'dropped');
    assert.equal(agent.stats().dropped, 2);
    await assert.rejects(client.request('mp.api', new Uint8Array(100_000), { timeoutMs: BOUND_MS }), { code: TransportErrorCode.UNSUPPORTED });

    // The reserve is enough: a payload of maxPayloadBytes passes, and what follows it arrives.
    assert.equal(agent.publish('mp.events.full', new Uint8Array(max)), 'sent');
    for (let i = 0; i < 3; i++) agent.publish('mp.events.small', enc(String(i)));
    await agent.flush();
    await got.until(4, BOUND_MS);
    assert.deepEqual(got.items, [`mp.events.full:${max}`, 'mp.events.small:1', 'mp.events.small:1', 'mp.events.small:1']);
    assert.equal(dec((await client.request('mp.api', enc('ping'), { timeoutMs: BOUND_MS })).data), 'pong:ping');
    assert.deepEqual(statuses, []);
    assert.equal(agent.stats().reconnects, 0);
  } finally {
    await agent.close();
    await client?.close();
    await broker.stop();
  }
});

void test('mqtt: an unacknowledged publish over a maximum packet size lowered across a reconnect is dropped, not sent again forever', { timeout: 60_000 }, async () => {
  const options: MosquittoOptions = {};
  const broker = await startMosquitto(options);
  const relay = await startRelay(broker.port);
  const agent = await createDriver('mqtt', { urls: [relay.url(broker.url)] });
  const got = new Collector<string>();
  let client: Driver | undefined;
  try {
    await agent.connect();
    // The broker's PUBACK never reaches the agent: mqtt.js keeps the publish to send it again.
    relay.holdAnswers();
    assert.equal(agent.publish('mp.events.big', new Uint8Array(100_000)), 'sent');
    const back = (async () => {
      await waitStatus(agent, 'reconnecting', BOUND_MS);
      await waitStatus(agent, 'connected', BOUND_MS);
    })();
    options.maxPacketBytes = MAX_PACKET;
    await broker.restart();
    client = await subscriber(broker.url, got);
    await within(back, BOUND_MS, 'the agent never came back: the oversized publish is sent again on every reconnect');
    assert.equal(agent.publish('mp.events.small', enc('after')), 'sent');
    await got.until(1, BOUND_MS);
    assert.deepEqual(got.items, ['mp.events.small:5']);
    assert.equal(agent.stats().dropped, 1);
    assert.equal(agent.maxPayloadBytes, MAX_PACKET - MQTT_PACKET_RESERVE_BYTES);
  } finally {
    await agent.close();
    await client?.close();
    await relay.close();
    await broker.stop();
  }
});
