// MQTT: leaving a served lane loses no request. The broker goes on sending on a subscription until
// it has processed the UNSUBSCRIBE: what it sent before its UNSUBACK is served, and a request it
// gets after finds nobody and is told so at once ("no responders") — none waits out its timeout.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { dec, enc } from './conformance/helpers.js';

const REQUESTS = 5;

/** The reply's text, or the error's code: a request either is served or is told. */
const outcome = (driver: Driver, body: string): Promise<string> =>
  driver.request('lv.api', enc(body), { timeoutMs: 15_000 }).then(
    (reply) => dec(reply.data),
    (err: unknown) => String((err as { code?: unknown }).code),
  );

for (const competing of [true, false]) {
  void test(`mqtt: a request sent as a ${competing ? 'competing' : 'fan-out'} lane is left is served or told "no responders", never lost`, async () => {
    const broker = await startMosquitto();
    // One connection serves and requests: its requests reach the broker before its UNSUBSCRIBE does.
    const driver = await createDriver('mqtt', { urls: [broker.url] });
    try {
      await driver.connect();
      const sub = driver.serve({ subject: 'lv.api', competing }, (req) => enc(`re:${dec(req.data)}`));
      await driver.flush();
      assert.equal(await outcome(driver, 'before'), 're:before');

      const asked = Array.from({ length: REQUESTS }, (_, i) => outcome(driver, String(i)));
      const left = sub.unsubscribe();
      const late = outcome(driver, 'late');
      await left;
      assert.deepEqual(await Promise.all(asked), Array.from({ length: REQUESTS }, (_, i) => `re:${i}`), 'what the broker sent before its UNSUBACK is served');
      assert.equal(await late, 'FSBUS_ERR_TRANSPORT_NO_RESPONDERS', 'a request after the UNSUBSCRIBE finds nobody and is told');
    } finally {
      await driver.close();
      await broker.stop();
    }
  });
}
