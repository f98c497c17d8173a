// MQTT: a request's Response Topic is where the server PUBLISHes its reply. One no PUBLISH may use
// (a wildcard: Mosquitto accepts the request, then disconnects the replier for a protocol error,
// and the reply went again on every reconnect) or one in the broker's `$` namespace is refused:
// the request is not run (its requester could never learn the outcome; one that retries would run
// it twice), counted in stats().requestsRefused (not in dropped) and logged once per burst; the
// connection stays up and the next request is answered.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connectAsync, type MqttClient } from 'mqtt';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver, type Driver, type DriverLogger, type DriverStats } from '@fsbus/transport';
import type { OutboxItem } from '../src/outbox.js';
import { MqttDriver } from '../src/drivers/mqtt/mqtt-driver.js';
import { REFUSED_RESPONSE_TOPIC_LOG } from '../src/drivers/mqtt/mqtt-util.js';
import { Collector, dec, enc } from './conformance/helpers.js';

/** A bound for what must happen, only there to fail by name instead of hanging. */
const BOUND_MS = 20_000;

const pick = ({ requestsRefused, dropped, repliesDropped }: DriverStats) => ({ requestsRefused, dropped, repliesDropped });

class ItemMqttDriver extends MqttDriver {
  sendItem(item: OutboxItem): string {
    return this.send(item);
  }
}

void test('mqtt: a request whose Response Topic a reply cannot be published to is not run, counted as refused and logged; the connection stays up', { timeout: 60_000 }, async () => {
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
    assert.deepEqual(ran.items, ['next:reply'], 'none of the refused ran');
    assert.deepEqual(statuses, [], 'the connection stayed up');
    assert.equal(server.stats().reconnects, 0);
    // Refused requests, not drops: nothing was sent or lost.
    assert.deepEqual(pick(server.stats()), { requestsRefused: refused.length, dropped: 0, repliesDropped: 0 });

    // A reply the driver is handed for such a topic all the same is refused before mqtt.js sees it:
    // a dropped reply, not an event.
    assert.equal(server.sendItem({ kind: 'reply', subject: 'resp/#', data: enc('r'), correlationId: 'c2' }), 'dropped');
    assert.deepEqual(pick(server.stats()), { requestsRefused: refused.length, dropped: 1, repliesDropped: 1 });
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

// The forward_to rule (contract.md): a requester may not make the agent publish into the agent's
// own lanes or events. With an ACL letting `app` write only `freeswitch/api`, a Response Topic of
// `freeswitch/events/channel/hangup` made dashboards receive the agent's reply as an event. Other
// topics of the namespace (the reply space `freeswitch/reply/…`) and topics outside it are answered.
void test("mqtt: a request whose Response Topic is one of the agent's own topics (lanes, events) is not run, counted and logged", { timeout: 60_000 }, async () => {
  const broker = await startMosquitto();
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }) };
  const server = new MqttDriver({ urls: [broker.url], logger, namespace: 'freeswitch' });
  let raw: MqttClient | undefined;
  let dashboard: MqttClient | undefined;
  try {
    await server.connect();
    const ran = new Collector<string>();
    server.serve({ subject: 'freeswitch.api', competing: true }, (req) => {
      ran.push(dec(req.data));
      return enc(`pong:${dec(req.data)}`);
    });
    await server.flush();

    dashboard = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const seen = new Collector<string>();
    dashboard.on('message', (topic, payload) => {
      if (topic !== 'freeswitch/api') seen.push(`${topic} ${payload.toString('utf8')}`);
    });
    await dashboard.subscribeAsync(['freeswitch/#', 'elsewhere/#'], { qos: 1 });

    raw = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const refused = ['freeswitch/events/channel/hangup', 'freeswitch/events', 'freeswitch/api', 'freeswitch/api/node1', 'freeswitch/node/node1', 'freeswitch/broadcast', 'freeswitch/cmd/async/reloadxml', 'freeswitch/events/channel/*', 'freeswitch/events/>'];
    const answered = ['elsewhere/me', 'freeswitch/reply/me', 'freeswitch/apps/me'];
    for (const topic of [...refused, ...answered]) {
      await raw.publishAsync('freeswitch/api', topic, { qos: 1, properties: { responseTopic: topic, correlationData: Buffer.from('c1') } });
    }
    // Replies leave the one server in order: once the last is seen, a refused one would have been.
    await seen.until(answered.length);
    assert.deepEqual(seen.items, answered.map((t) => `${t} pong:${t}`), 'nothing published on the refused topics');
    assert.deepEqual(ran.items, answered, 'none of the refused ran');
    assert.deepEqual(pick(server.stats()), { requestsRefused: refused.length, dropped: 0, repliesDropped: 0 });

    await server.close();
    const lines = warnings.filter((w) => w.msg === REFUSED_RESPONSE_TOPIC_LOG);
    const why = "it is one of the agent's own topics (freeswitch/api, broadcast, node, cmd, events and below)";
    assert.deepEqual(
      lines.map((l) => l.fields),
      [
        { subject: 'freeswitch.api', response_topic: refused[0], why },
        { subject: 'freeswitch.api', response_topic: refused.at(-1), why, suppressed: refused.length - 1 },
      ],
    );
  } finally {
    await server.close();
    await raw?.endAsync(true);
    await dashboard?.endAsync(true);
    await broker.stop();
  }
});
