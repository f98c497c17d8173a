import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { DRIVER_NAMES, createDriver, defaultBrokerUrl, streamRetention } from '../src/index.js';

void test('streamRetention knows a stream exactly for the drivers whose capabilities say durableStreams, by any of their names', async () => {
  for (const name of DRIVER_NAMES) {
    // Made, never connected: the capabilities are the driver's own, not a copy of this table.
    const driver = await createDriver(name, { urls: [defaultBrokerUrl(name)] });
    assert.equal(streamRetention(name) !== undefined, driver.capabilities.durableStreams, name);
    assert.equal(streamRetention(name.toUpperCase()), streamRetention(name), `${name} in upper case`);
  }
  assert.equal(streamRetention('rabbitmq'), streamRetention('amqp'));
  assert.equal(streamRetention('nope'), undefined);
});
