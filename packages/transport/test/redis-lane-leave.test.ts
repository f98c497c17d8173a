// Redis: leaving a served lane loses no request. A lane entry handed to the reader's blocking
// XREADGROUP (NOACK: not pending anywhere) as the lane is left is served, and so is one written
// before the serving mark went (the last server reads what is left before the lane stream goes);
// a request written after finds no serving mark and is told at once ("no responders").
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
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
  void test(`redis: a request sent as a ${competing ? 'competing' : 'fan-out'} lane is left is served or told "no responders", never lost`, async () => {
    const broker = await startRedis();
    // One command connection routes the requests and leaves the lane: the requests come first.
    const driver = await createDriver('redis', { urls: [broker.url], namespace: 'lv' });
    try {
      await driver.connect();
      const sub = driver.serve({ subject: 'lv.api', competing }, (req) => enc(`re:${dec(req.data)}`));
      await driver.flush();
      assert.equal(await outcome(driver, 'before'), 're:before');

      const asked = Array.from({ length: REQUESTS }, (_, i) => outcome(driver, String(i)));
      const left = sub.unsubscribe();
      await left;
      const late = outcome(driver, 'late');
      assert.deepEqual(await Promise.all(asked), Array.from({ length: REQUESTS }, (_, i) => `re:${i}`), 'what was written to the lane before it was left is served');
      assert.equal(await late, 'FSBUS_ERR_TRANSPORT_NO_RESPONDERS', 'a request after the leave finds nobody and is told');
    } finally {
      await driver.close();
      await broker.stop();
    }
  });
}

void test('redis: a competing lane left by one of two servers: every request is served, by one or the other', async () => {
  const broker = await startRedis();
  const leaving = await createDriver('redis', { urls: [broker.url], namespace: 'lv' });
  const staying = await createDriver('redis', { urls: [broker.url], namespace: 'lv' });
  try {
    await leaving.connect();
    await staying.connect();
    const sub = leaving.serve({ subject: 'lv.api', competing: true }, (req) => enc(`a:${dec(req.data)}`));
    staying.serve({ subject: 'lv.api', competing: true }, (req) => enc(`b:${dec(req.data)}`));
    await leaving.flush();
    await staying.flush();

    const asked = Array.from({ length: REQUESTS }, (_, i) => outcome(leaving, String(i)));
    await sub.unsubscribe();
    const late = outcome(leaving, 'late');
    const got = await Promise.all(asked);
    assert.deepEqual(got.map((r) => r.slice(2)), Array.from({ length: REQUESTS }, (_, i) => String(i)), `every request served (got ${got.join(', ')})`);
    assert.equal(await late, 'b:late', 'after the leave, the other server takes them all');
  } finally {
    await leaving.close();
    await staying.close();
    await broker.stop();
  }
});

void test('redis: with an ACL refusing CLIENT (no CLIENT UNBLOCK), leaving waits for the read to end and loses nothing', async () => {
  const broker = await startRedis();
  const admin = new Redis(broker.url);
  await admin.call('ACL', 'SETUSER', 'lane', 'on', '>secret', '~*', '&*', '+@all', '-client');
  const url = new URL(broker.url);
  url.username = 'lane';
  url.password = 'secret';
  const driver = await createDriver('redis', { urls: [url.toString()], namespace: 'lv' });
  try {
    await driver.connect();
    const sub = driver.serve({ subject: 'lv.api', competing: true }, (req) => enc(`re:${dec(req.data)}`));
    await driver.flush();
    assert.equal(await outcome(driver, 'before'), 're:before');
    const asked = Array.from({ length: REQUESTS }, (_, i) => outcome(driver, String(i)));
    await sub.unsubscribe();
    const late = outcome(driver, 'late');
    assert.deepEqual(await Promise.all(asked), Array.from({ length: REQUESTS }, (_, i) => `re:${i}`));
    assert.equal(await late, 'FSBUS_ERR_TRANSPORT_NO_RESPONDERS');
  } finally {
    await driver.close();
    admin.disconnect();
    await broker.stop();
  }
});
