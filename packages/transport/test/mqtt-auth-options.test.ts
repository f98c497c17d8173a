// A token (or password) without a user name on MQTT: MQTT 5 allows it, but mqtt.js refuses to
// write such a CONNECT ("Username is required to use password") and the reason was lost — the SDK
// and the agent failed with a bare "connection closed", nothing reaching the broker. It is now
// refused before any connect, saying what to set.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createDriver, TransportError, TransportErrorCode } from '@fsbus/transport';
import { mqttOptions } from '../src/drivers/mqtt/mqtt-util.js';

const refused = (what: string) => (e: unknown): boolean =>
  e instanceof TransportError && e.code === TransportErrorCode.INVALID_OPTION && e.message === `mqtt: ${what} needs a user name: the MQTT client (mqtt.js) sends a password only beside one; set auth.user (the agent: broker.user, FSBUS_BROKER_USER)`;

void test('mqtt: a token or password without a user name is refused, saying what to set', async () => {
  const urls = ['mqtt://127.0.0.1:1'];
  assert.throws(() => mqttOptions(urls, { urls, auth: { token: 't0k' } }, 'c1', 1000), refused('a token (sent as the password)'));
  assert.throws(() => mqttOptions(urls, { urls, auth: { password: 'pw' } }, 'c1', 1000), refused('a password'));
  assert.throws(() => mqttOptions(['mqtt://:pw@127.0.0.1:1'], { urls: ['mqtt://:pw@127.0.0.1:1'] }, 'c1', 1000), refused('a password'));
  // With a user name, as before: the token is the password.
  const ok = mqttOptions(urls, { urls, auth: { user: 'alice', token: 't0k' } }, 'c1', 1000);
  assert.equal(ok.username, 'alice');
  assert.equal(ok.password, 't0k');
  assert.equal(mqttOptions(urls, { urls, auth: { user: 'alice' } }, 'c1', 1000).password, undefined, 'a user name alone is MQTT-legal');
  // Through the driver: connect() rejects with it (port 1: nothing is tried).
  const driver = await createDriver('mqtt', { urls, auth: { token: 't0k' }, connectTimeoutMs: 1000 });
  await assert.rejects(driver.connect(), refused('a token (sent as the password)'));
  await driver.close();
});
