// A request sent into a NATS link that died before nats.js (and so the driver) noticed: the driver
// is still 'connected', so it goes to nats.js, not to our outbox. NATS carries no deadline with a
// request: a copy sent on the reconnect would run however late. It is not: nats.js writes it to
// the dead socket at once and it is lost with it (its requester times out); nats.js also empties
// its outbound buffer whenever it starts a dial.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

let nats: NatsServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(() => nats.stop());

void test('nats: a request written into a link that died before nats.js saw it is not sent on the reconnect', { timeout: 60_000 }, async (t) => {
  const relay = await startRelay(nats.port);
  t.after(() => relay.close());
  const agent = await createDriver('nats', { urls: [nats.url], name: 'agent' });
  t.after(() => agent.close());
  const client = await createDriver('nats', { urls: [relay.url(nats.url)], name: 'client' });
  t.after(() => client.close());
  await Promise.all([agent.connect(), client.connect()]);
  const ran = new Collector<string>();
  agent.serve({ subject: 'freeswitch.api', competing: true }, (req) => {
    ran.push(dec(req.data));
    return enc('ok');
  });
  await agent.flush();
  assert.equal(dec((await client.request('freeswitch.api', enc('warm'), { timeoutMs: 10_000 })).data), 'ok');
  // The relay's end of the link is closed now (synchronously); the client has not read that yet.
  const cut = relay.cut();
  assert.equal(client.status, 'connected', 'the request below must go to nats.js, not to the outbox');
  const published = client.stats().published;
  const stale = client.request('freeswitch.api', enc('into-the-dead-link'), { timeoutMs: 1 });
  assert.equal(client.stats().published, published + 1, 'handed to nats.js');
  await cut;
  await assert.rejects(stale, { code: TransportErrorCode.TIMEOUT });
  await waitStatus(client, 'reconnecting');
  await relay.restore();
  await waitStatus(client, 'connected');
  // Had nats.js kept it, the reconnect would have written it before anything sent from now on.
  assert.equal(dec((await client.request('freeswitch.api', enc('after'), { timeoutMs: 10_000 })).data), 'ok');
  assert.deepEqual(ran.items, ['warm', 'after']);
});
