// The Redis password changed while the driver was away (CONFIG SET requirepass, every client
// dropped): each reconnect is refused with WRONGPASS. ioredis says so in an 'error' event the
// driver swallowed: it stayed 'reconnecting' in silence, the agent with no error and no hint.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { createDriver, type DriverEvent } from '@fsbus/transport';
import { startRedis, type BrokerHandle } from '@fsbus/testkit';
import { Collector, waitStatus, within } from './conformance/helpers.js';

let redis: BrokerHandle;
before(async () => {
  redis = await startRedis({ password: 'right-pass' });
});
after(() => redis.stop());

void test('redis: a reconnect refused for its password is reported as an error, once, and the driver keeps retrying', { timeout: 120_000 }, async (t) => {
  const driver = await createDriver('redis', { urls: [redis.url], auth: { password: 'right-pass' } });
  t.after(() => driver.close());
  const events: DriverEvent[] = [];
  const refused = new Collector<Error>();
  driver.on((e) => {
    events.push(e);
    if (e.type === 'error') refused.push(e.error);
  });
  await driver.connect();
  driver.serve({ subject: 'refused.lane', competing: true }, () => undefined);
  await driver.flush();

  const admin = new Redis({ port: redis.port, host: '127.0.0.1', password: 'right-pass', lazyConnect: true });
  t.after(() => admin.disconnect());
  await admin.connect();
  await admin.config('SET', 'requirepass', 'n3wpass');
  const reconnecting = waitStatus(driver, 'reconnecting', 30_000);
  // Every client but this one (SKIPME yes): the driver's connections reconnect with the old password.
  await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
  await reconnecting;
  const trail = (): string => events.map((e) => (e.type === 'error' ? e.error.message : e.status)).join(' / ');
  const [err] = await within(refused.until(1, 90_000), 60_000, `no error while Redis refused the reconnect: ${trail()}`);
  assert.match(err!.message, /WRONGPASS/, trail());
  assert.equal((err as Error & { code?: string }).code, 'FSBUS_ERR_TRANSPORT_CONNECT');
  assert.doesNotMatch(err!.message, /right-pass/, 'no password in the error');

  // The password back: the driver, still retrying, gets in; one refusal said once, not per connection or retry.
  await admin.config('SET', 'requirepass', 'right-pass');
  await waitStatus(driver, 'connected', 60_000);
  assert.equal(refused.items.length, 1, `one error for one refusal: ${trail()}`);
});
