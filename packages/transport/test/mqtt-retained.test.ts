// A retained message left on a lane or events topic by another client: the broker hands it to
// every new subscription, so an agent would run that request again after each reconnect. The
// driver subscribes with Retain Handling 2 (none sent at subscribe): only live messages arrive.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connectAsync } from 'mqtt';
import { createDriver, type Driver } from '@fsbus/transport';
import { startMosquitto, type BrokerHandle } from '@fsbus/testkit';
import { dec, enc } from './conformance/helpers.js';

let broker: BrokerHandle;
before(async () => {
  broker = await startMosquitto();
});
after(() => broker.stop());

void test('mqtt: a retained request or event left on a topic is not delivered at subscribe', { timeout: 30_000 }, async (t) => {
  const other = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  t.after(() => other.endAsync(true));
  await other.publishAsync('rt/node/n1', 'stale command', { qos: 1, retain: true });
  await other.publishAsync('rt/events/x', 'stale event', { qos: 1, retain: true });

  const agent: Driver = await createDriver('mqtt', { urls: [broker.url] });
  const client: Driver = await createDriver('mqtt', { urls: [broker.url] });
  t.after(async () => {
    await client.close();
    await agent.close();
  });
  const ran: string[] = [];
  // Served before connect (subscribed on the CONNACK, as after a reconnect), subscribed after it.
  agent.serve({ subject: 'rt.node.n1', competing: false }, (req) => {
    ran.push(dec(req.data));
    return enc('done');
  });
  await Promise.all([agent.connect(), client.connect()]);
  const events: string[] = [];
  const liveEvent = new Promise<void>((resolve) => {
    agent.subscribe('rt.events.>', (m) => {
      events.push(dec(m.data));
      if (dec(m.data) === 'live event') resolve();
    });
  });
  await agent.flush();

  // The broker sends a subscription's retained messages right after its SUBACK, ahead of any
  // later publish: had one come, it would be seen before these live ones.
  assert.equal(dec((await client.request('rt.node.n1', enc('live command'), { timeoutMs: 10_000 })).data), 'done');
  assert.deepEqual(ran, ['live command']);
  client.publish('rt.events.x', enc('live event'));
  await liveEvent;
  assert.deepEqual(events, ['live event']);
});
