// An empty headers object: mqtt-packet writes no packet at all for a PUBLISH whose user-property
// map is empty, so such a message (an event, a request) never left. None is set when it is empty.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type Driver } from '@fsbus/transport';
import { startMosquitto, type BrokerHandle } from '@fsbus/testkit';
import { Collector, dec, enc } from './conformance/helpers.js';

let broker: BrokerHandle;
before(async () => {
  broker = await startMosquitto();
});
after(() => broker.stop());

void test('mqtt: a publish and a request with headers {} are delivered', { timeout: 30_000 }, async (t) => {
  const agent: Driver = await createDriver('mqtt', { urls: [broker.url] });
  const client: Driver = await createDriver('mqtt', { urls: [broker.url] });
  t.after(async () => {
    await client.close();
    await agent.close();
  });
  await Promise.all([agent.connect(), client.connect()]);
  const seen = new Collector<string>();
  agent.subscribe('eh.events.>', (m) => seen.push(dec(m.data)));
  agent.serve({ subject: 'eh.api', competing: true }, (req) => enc(`pong ${dec(req.data)}`));
  await agent.flush();
  assert.equal(client.publish('eh.events.x', enc('event'), { headers: {} }), 'sent');
  await client.flush();
  assert.deepEqual(await seen.until(1), ['event']);
  assert.equal(dec((await client.request('eh.api', enc('ping'), { timeoutMs: 10_000, headers: {} })).data), 'pong ping');
});
