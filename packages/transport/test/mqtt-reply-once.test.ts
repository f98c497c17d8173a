// MQTT, QoS 1: mqtt.js sends every PUBLISH still waiting for its PUBACK again after a reconnect.
// A reply is sent at most once: one unacknowledged when the connection drops is taken back,
// counted as dropped (a reply: in repliesDropped too, so the agent does not count it as an event)
// and logged, never sent again (a reply the broker disconnected the server
// for went again on every reconnect, for ever).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connectAsync, type MqttClient } from 'mqtt';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver, type Driver, type DriverLogger } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

const BOUND_MS = 20_000;

void test('mqtt: a reply unacknowledged when the connection drops is dropped, counted and logged, not sent again on the reconnect', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto();
  const relay = await startRelay(broker.port);
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }) };
  const server: Driver = await createDriver('mqtt', { urls: [relay.url(broker.url)], logger });
  let requester: MqttClient | undefined;
  try {
    await server.connect();
    server.serve({ subject: 'ro.api', competing: true }, (req) => {
      // The broker's answers stop reaching the server: this reply's PUBACK never comes.
      if (dec(req.data) === 'held') relay.holdAnswers();
      return enc(`re:${dec(req.data)}`);
    });
    await server.flush();
    // A plain MQTT 5 requester: every copy published to its Response Topic is seen.
    requester = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const replies = new Collector<string>();
    requester.on('message', (_topic, payload) => replies.push(payload.toString('utf8')));
    await requester.subscribeAsync('ro/replies', { qos: 1 });
    const ask = (body: string) => requester!.publishAsync('ro/api', body, { qos: 1, properties: { responseTopic: 'ro/replies', correlationData: Buffer.from(body) } });

    await ask('held');
    await replies.until(1, BOUND_MS); // the broker took it and passed it on

    await relay.cut();
    await waitStatus(server, 'reconnecting', BOUND_MS);
    await relay.restore();
    await waitStatus(server, 'connected', BOUND_MS);
    // mqtt.js sends what it kept before the reconnect completes: a copy would come before this one.
    await ask('after');
    await replies.until(2, BOUND_MS);
    assert.deepEqual(replies.items, ['re:held', 're:after']);
    const { dropped, repliesDropped } = server.stats();
    assert.deepEqual({ dropped, repliesDropped }, { dropped: 1, repliesDropped: 1 });
    assert.deepEqual(
      warnings.filter((w) => w.fields['replies'] !== undefined).map((w) => w.fields),
      [{ replies: 1 }],
    );
  } finally {
    await server.close();
    await requester?.endAsync(true);
    await relay.close();
    await broker.stop();
  }
});
