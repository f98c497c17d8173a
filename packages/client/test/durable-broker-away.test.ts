/**
 * A durable stream asked for while the broker is away is a lost connection
 * (FSBUS_ERR_CLIENT_DISCONNECTED), not a stream problem (FSBUS_ERR_CLIENT_STREAM, whose hint
 * points at the agent's stream settings).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { ClientErrorCode, FsbusClient } from '../src/index.js';

void test('events({ durable }) while the broker is away fails DISCONNECTED, not STREAM', async (t) => {
  const nats = await startNatsServer({ jetstream: true });
  t.after(() => nats.stop());
  const driver = await createDriver('nats', { urls: [nats.url], name: 'durable-away' });
  await driver.connect();
  // Default subjects, 2 s call timeout, and the client owns (closes) the driver.
  const bus = new FsbusClient(driver, undefined, 2000, true);
  t.after(() => bus.close());
  const away = new Promise<void>((resolve) => {
    const off = driver.on((e) => {
      if (e.type === 'status' && e.status === 'reconnecting') {
        off();
        resolve();
      }
    });
  });
  await nats.halt();
  await away;
  const stream = bus.events('>', { durable: 'billing' });
  await assert.rejects(stream.ready, { code: ClientErrorCode.DISCONNECTED });
  await stream.close();
});
