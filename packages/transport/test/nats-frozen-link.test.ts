// A link that freezes (the server or a middlebox stops reading, the socket stays open) while the
// driver writes: nats.js's pings go unanswered and it declares the connection stale, but its
// disconnect first waits for its queued writes to drain — into a link that reads nothing, so it
// waited until the server read again, however long, the driver 'connected' all along. The driver
// now drops the socket itself then: 'reconnecting' within nats.js's stale detection, the loss
// handed back, and the outbox takes over. The driver's pings run every livenessIntervalMs (10 s
// by default, stale after two unanswered: 20–30 s); here 1 s, so the test does not wait that out —
// and so also shows that the option sets the detection.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver } from '@fsbus/transport';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

/** The driver's livenessIntervalMs (nats.js's pingInterval): stale within 2–3 s. */
const LIVENESS_MS = 1000;

let nats: NatsServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(() => nats.stop());

void test('nats: a link that stops reading while the driver writes is given up by the ping timeout, not when it reads again', { timeout: 120_000 }, async (t) => {
  const relay = await startRelay(nats.port);
  t.after(() => relay.close());
  const lost: string[] = [];
  const driver = await createDriver('nats', { urls: [relay.url(nats.url)], name: 'frozen', livenessIntervalMs: LIVENESS_MS });
  t.after(() => driver.close());
  await driver.connect();
  await driver.flush();
  relay.stall();
  // More than the kernel's socket buffers take: nats.js queues the rest in the socket.
  const payload = new Uint8Array(32 * 1024);
  for (let i = 0; i < 1000; i++) driver.publish('freeswitch.events.custom', payload, { onDroppedAfterSend: (s) => lost.push(s) });
  assert.equal(driver.status, 'connected');
  await waitStatus(driver, 'reconnecting', 100_000);
  assert.ok(lost.length > 0, 'what the frozen link took unconfirmed is handed back');
  // The new connection (through the relay too: only the frozen one stalls) carries on.
  await waitStatus(driver, 'connected', 30_000);
  await driver.flush();
  relay.resume();
});
