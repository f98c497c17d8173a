// A NATS server that refuses the driver's credentials for a while (restarted with other ones, a
// credential rotation half done): nats.js by default closes for good after two authorization
// errors in a row, which left the driver 'reconnecting' for ever, off the bus, even once the
// server took its credentials again. An agent never gives up on its broker. The refusal is an
// error once (FSBUS_ERR_TRANSPORT_CONNECT), not one per attempt, as on the other brokers.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type DriverEvent } from '@fsbus/transport';
import type { DriverLogger } from '../src/driver.js';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { Collector, dec, enc, within } from './conformance/helpers.js';

let nats: NatsServerHandle;
before(async () => {
  nats = await startNatsServer({ token: 'right' });
});
after(() => nats.stop());

void test('nats: the driver reconnects after its credentials were refused several times in a row', { timeout: 60_000 }, async (t) => {
  // Each refused attempt after the first is a debug line: the error itself is said once.
  const again = new Collector<string>();
  const logger: DriverLogger = { debug: (_o, msg = '') => void (msg === 'reconnect refused again' && again.push(msg)), info() {}, warn() {}, error() {} };
  const driver = await createDriver('nats', { urls: [nats.url], name: 'agent', auth: { token: 'right' }, logger });
  t.after(() => driver.close());
  const refused: Error[] = [];
  const events: DriverEvent[] = [];
  driver.on((e) => {
    events.push(e);
    if (e.type === 'error' && /authorization/i.test(e.error.message)) refused.push(e.error);
  });
  await driver.connect();
  const got = new Collector<string>();
  driver.subscribe('auth.>', (m) => got.push(dec(m.data)));
  await driver.flush();

  await nats.halt();
  await nats.start({ token: 'wrong' });
  await again.until(2, 30_000);
  await nats.halt();
  await nats.start({ token: 'right' });
  // Without the fix nats.js gave up: the driver stayed 'reconnecting' (or, told, went 'closed').
  const settled = new Promise<string>((resolve) => {
    const off = driver.on((e) => {
      if (e.type === 'status' && (e.status === 'connected' || e.status === 'closed')) {
        off();
        resolve(e.status);
      }
    });
  });
  const trail = (): string => events.map((e) => (e.type === 'error' ? e.error.message : e.status)).join(' / ');
  assert.equal(await within(settled, 30_000, `never connected again: ${trail()}`), 'connected', trail());
  // Three refused attempts or more, one error: typed, naming the server, no token in it.
  assert.equal(refused.length, 1, trail());
  assert.equal((refused[0] as Error & { code?: string }).code, 'FSBUS_ERR_TRANSPORT_CONNECT');
  assert.match(refused[0]!.message, /^cannot reconnect to NATS \(nats:\/\/127\.0\.0\.1:\d+\): .*authorization violation/i);
  assert.doesNotMatch(refused[0]!.message, /right|wrong/);

  const sender = await createDriver('nats', { urls: [nats.url], name: 'sender', auth: { token: 'right' } });
  t.after(() => sender.close());
  await sender.connect();
  sender.publish('auth.after', enc('after the rotation'));
  await sender.flush();
  assert.deepEqual(await got.until(1), ['after the rotation'], 'the subscription is back too');
});

void test('nats: a cluster refusing the credentials on every server is one error, not one per server tried', { timeout: 60_000 }, async (t) => {
  const other = await startNatsServer({ token: 'right' });
  t.after(() => other.stop());
  const again = new Collector<string>();
  const logger: DriverLogger = { debug: (_o, msg = '') => void (msg === 'reconnect refused again' && again.push(msg)), info() {}, warn() {}, error() {} };
  const driver = await createDriver('nats', { urls: [nats.url, other.url], name: 'agent', auth: { token: 'right' }, logger });
  t.after(() => driver.close());
  const refused: string[] = [];
  driver.on((e) => void (e.type === 'error' && refused.push(e.error.message)));
  await driver.connect();
  for (const server of [nats, other]) await server.halt();
  for (const server of [nats, other]) await server.start({ token: 'wrong' });
  // nats.js tries the two servers in turn: each refusal names the same URL list, said once.
  await again.until(3, 30_000);
  assert.equal(refused.length, 1, refused.join(' / '));
  assert.match(refused[0]!, /^cannot reconnect to NATS \(nats:\/\/127\.0\.0\.1:\d+,nats:\/\/127\.0\.0\.1:\d+\): /);
  for (const server of [nats, other]) await server.halt();
  await nats.start({ token: 'right' });
});
