// A subject MQTT cannot carry as a topic name or filter: U+0000 (Mosquitto disconnects the client,
// DISCONNECT 0x81, and mqtt.js sent the kept event again on every reconnect) or over 65,535 bytes
// (mqtt.js threw from its socket write: the process died). Refused before mqtt.js sees it.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { Collector, dec, enc } from './conformance/helpers.js';

void test('mqtt: a subject or pattern holding U+0000 or over 65,535 bytes is refused; the connection stays up', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto();
  const driver = await createDriver('mqtt', { urls: [broker.url] });
  try {
    await driver.connect();
    const statuses: string[] = [];
    driver.on((e) => {
      if (e.type === 'status') statuses.push(e.status);
    });
    const long = `tn.${'a'.repeat(70_000)}`;
    assert.equal(driver.publish('tn.a\u0000b', enc('x')), 'dropped');
    assert.equal(driver.publish(long, enc('x')), 'dropped');
    assert.equal(driver.stats().dropped, 2);
    assert.throws(() => driver.subscribe('tn.a\u0000b.>', () => undefined), { code: TransportErrorCode.UNSUPPORTED });
    assert.throws(() => driver.serve({ subject: long, competing: true }, () => undefined), { code: TransportErrorCode.UNSUPPORTED });

    const got = new Collector<string>();
    driver.subscribe('tn.ok', (m) => got.push(dec(m.data)));
    await driver.flush();
    assert.equal(driver.publish('tn.ok', enc('after')), 'sent');
    await got.until(1);
    assert.deepEqual(got.items, ['after']);
    assert.deepEqual(statuses, []);
  } finally {
    await driver.close();
    await broker.stop();
  }
});
