// MQTT: a request's Response Topic is where the server PUBLISHes its reply. One no PUBLISH may use
// (a wildcard: Mosquitto accepts the request, then disconnects the replier for a protocol error,
// and the reply went again on every reconnect) or one in the broker's `$` namespace is refused:
// the request runs as one sent without a reply address, counted as dropped and logged once per
// burst; the connection stays up and the next request is answered.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connectAsync, type MqttClient } from 'mqtt';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver, type Driver, type DriverLogger } from '@fsbus/transport';
import type { OutboxItem } from '../src/outbox.js';
import { MqttDriver } from '../src/drivers/mqtt/mqtt-driver.js';
import { REFUSED_RESPONSE_TOPIC_LOG } from '../src/drivers/mqtt/mqtt-util.js';
import { Collector, dec, enc } from './conformance/helpers.js';

/** A bound for what must happen, only there to fail by name instead of hanging. */
const BOUND_MS = 20_000;

class ItemMqttDriver extends MqttDriver {
  sendItem(item: OutboxItem): string {
    return this.send(item);
  }
}

void test('mqtt: a request whose Response Topic a reply cannot be published to runs without a reply, counted and logged; the connection stays up', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto();
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }) };
  const server = new ItemMqttDriver({ urls: [broker.url], logger });
  let raw: MqttClient | undefined;
  let client: Driver | undefined;
  try {
    await server.connect();
    const statuses: string[] = [];
    server.on((e) => {
      if (e.type === 'status') statuses.push(e.status);
    });
    const ran = new Collector<string>();
    server.serve({ subject: 'rt.api', competing: true }, (req) => {
      ran.push(`${dec(req.data)}:${req.expectsReply ? 'reply' : 'none'}`);
      return enc(`pong:${dec(req.data)}`);
    });
    await server.flush();

    // The reviewer's reproduction (a raw MQTT 5 client), then the other names no PUBLISH may use.
    raw = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const refused = ['resp/#', 'resp/+/x', '$SYS/x', ''];
    for (const topic of refused) {
      await raw.publishAsync('rt/api', `[${topic}]`, { qos: 1, properties: { responseTopic: topic, correlationData: Buffer.from('c1') } });
    }
    // Published after them to the one server of the lane: once answered, they were handled.
    client = await createDriver('mqtt', { urls: [broker.url] });
    await client.connect();
    assert.equal(dec((await client.request('rt.api', enc('next'), { timeoutMs: BOUND_MS })).data), 'pong:next');
    assert.deepEqual(ran.items, [...refused.map((t) => `[${t}]:none`), 'next:reply']);
    assert.deepEqual(statuses, [], 'the connection stayed up');
    assert.equal(server.stats().reconnects, 0);
    // The replies never sent are the driver's drops.
    assert.equal(server.stats().dropped, refused.length);

    // A reply the driver is handed for such a topic all the same is refused before mqtt.js sees it.
    assert.equal(server.sendItem({ kind: 'reply', subject: 'resp/#', data: enc('r'), correlationId: 'c2' }), 'dropped');
    assert.equal(server.stats().dropped, refused.length + 1);
    assert.equal(dec((await client.request('rt.api', enc('again'), { timeoutMs: BOUND_MS })).data), 'pong:again');

    await server.close();
    // Logged at once with the first, the rest of the burst in one line at close.
    const lines = warnings.filter((w) => w.msg === REFUSED_RESPONSE_TOPIC_LOG);
    assert.deepEqual(
      lines.map((l) => l.fields),
      [
        { subject: 'rt.api', response_topic: 'resp/#', why: 'it holds a wildcard (+ or #)' },
        { subject: 'rt.api', response_topic: '', why: 'it is empty', suppressed: 3 },
      ],
    );
  } finally {
    await server.close();
    await client?.close();
    await raw?.endAsync(true);
    await broker.stop();
  }
});
