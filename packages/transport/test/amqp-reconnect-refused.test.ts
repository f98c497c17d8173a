// The broker user's password changed while the driver was away (rabbitmqctl change_password, then
// a restart): every reconnect is refused with 403 ACCESS_REFUSED. The driver logged that at debug
// and went on retrying in silence — the agent said only "broker reconnecting", no error, no hint.
// Played with two brokers behind a relay: the reconnect reaches one that holds other credentials.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type DriverEvent } from '@fsbus/transport';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { Collector, waitStatus, within } from './conformance/helpers.js';
import { startSwitchRelay } from './support/switch-relay.js';

let right: RabbitMqHandle;
let changed: RabbitMqHandle;
let switchRelay: Awaited<ReturnType<typeof startSwitchRelay>> | undefined;
/** Both brokers, started at once (a RabbitMQ takes seconds to start); each stopped in after() if it started. */
let brokers: Array<PromiseSettledResult<RabbitMqHandle>> = [];
before(async () => {
  brokers = await Promise.allSettled([
    startRabbitMq({ user: { name: 'fsbus', password: 'right-pass' } }),
    startRabbitMq({ user: { name: 'fsbus', password: 'n3wpass' } }),
  ]);
  [right, changed] = brokers.map((b) => {
    if (b.status === 'rejected') throw b.reason;
    return b.value;
  }) as [RabbitMqHandle, RabbitMqHandle];
  switchRelay = await startSwitchRelay(right.port);
});
after(async () => {
  await switchRelay?.close();
  await Promise.all(brokers.flatMap((b) => (b.status === 'fulfilled' ? [b.value.stop()] : [])));
});

void test('amqp: a reconnect refused for its credentials is reported as an error, once, and the driver keeps retrying', { timeout: 120_000 }, async (t) => {
  const relay = switchRelay!;
  const driver = await createDriver('amqp', { urls: [`amqp://127.0.0.1:${relay.port}`], auth: { user: 'fsbus', password: 'right-pass' } });
  t.after(() => driver.close());
  const events: DriverEvent[] = [];
  const refused = new Collector<Error>();
  driver.on((e) => {
    events.push(e);
    // The relay dropping the connection is an error of its own ('Unexpected close'): not this one.
    if (e.type === 'error' && /ACCESS.REFUSED/.test(e.error.message)) refused.push(e.error);
  });
  await driver.connect();

  relay.switchTo(changed.port);
  const trail = (): string => events.map((e) => (e.type === 'error' ? e.error.message : e.status)).join(' / ');
  const [err] = await within(refused.until(1, 90_000), 60_000, `no error while the broker refused the reconnect: ${trail()}`);
  assert.equal((err as Error & { code?: string }).code, 'FSBUS_ERR_TRANSPORT_CONNECT');
  assert.doesNotMatch(err!.message, /right-pass/, 'no password in the error');
  assert.equal(driver.status, 'reconnecting');

  // Two more attempts, refused the same way: not reported again.
  const seen = relay.accepted;
  await within(relay.accepting(seen + 2), 60_000, `the driver stopped retrying after the refusal: ${trail()}`);
  relay.switchTo(right.port);
  await waitStatus(driver, 'connected', 60_000);
  assert.equal(refused.items.length, 1, `one error for one refusal: ${trail()}`);
});
