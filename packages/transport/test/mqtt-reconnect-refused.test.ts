// The broker's password for the driver's user changed while it was away: each reconnect gets a
// CONNACK "Not authorized". Said as the refusal of a reconnect (FSBUS_ERR_TRANSPORT_CONNECT),
// once per refusal rather than once per retry, and the driver keeps retrying.
// Played with two brokers behind a relay: the reconnect reaches one that holds other credentials.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type DriverEvent } from '@fsbus/transport';
import { startMosquitto, type BrokerHandle } from '@fsbus/testkit';
import { Collector, waitStatus, within } from './conformance/helpers.js';
import { startSwitchRelay } from './support/switch-relay.js';

let right: BrokerHandle;
let changed: BrokerHandle;
let relay: Awaited<ReturnType<typeof startSwitchRelay>>;
before(async () => {
  right = await startMosquitto({ user: { name: 'fsbus', password: 'right-pass' } });
  changed = await startMosquitto({ user: { name: 'fsbus', password: 'n3wpass' } });
  relay = await startSwitchRelay(right.port);
});
after(async () => {
  await relay.close();
  await right.stop();
  await changed.stop();
});

void test('mqtt: a reconnect refused for its credentials is reported as an error, once, and the driver keeps retrying', { timeout: 120_000 }, async (t) => {
  const driver = await createDriver('mqtt', { urls: [`mqtt://127.0.0.1:${relay.port}`], auth: { user: 'fsbus', password: 'right-pass' } });
  t.after(() => driver.close());
  const events: DriverEvent[] = [];
  const refused = new Collector<Error>();
  driver.on((e) => {
    events.push(e);
    if (e.type === 'error' && /not authori[sz]ed|bad user ?name or password/i.test(e.error.message)) refused.push(e.error);
  });
  await driver.connect();

  relay.switchTo(changed.port);
  const trail = (): string => events.map((e) => (e.type === 'error' ? e.error.message : e.status)).join(' / ');
  const [err] = await within(refused.until(1, 90_000), 60_000, `no error while the broker refused the reconnect: ${trail()}`);
  assert.equal((err as Error & { code?: unknown }).code, 'FSBUS_ERR_TRANSPORT_CONNECT', trail());
  assert.doesNotMatch(err!.message, /right-pass/, 'no password in the error');

  // Two more attempts, refused the same way: not reported again.
  await within(relay.accepting(relay.accepted + 2), 60_000, `the driver stopped retrying after the refusal: ${trail()}`);
  relay.switchTo(right.port);
  await waitStatus(driver, 'connected', 60_000);
  assert.equal(refused.items.length, 1, `one error for one refusal: ${trail()}`);
});
