// A Kafka broker that freezes (SIGSTOP: the TCP connections stay open, nothing answers) while the
// driver is idle. Before, nothing was sent, so nothing failed: the driver said 'connected' until
// the next send, which then waited out the library's 30 s request timeout. Now an idle connection
// is checked every livenessIntervalMs (a cheap ApiVersions request when the broker said nothing
// meanwhile), and one left unanswered takes the link for dead: 'reconnecting', the connections
// dropped, what is published meanwhile held in the outbox, and 'connected' again once the broker
// answers.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import type { DriverLogger } from '../src/driver.js';
import { KAFKA_LIVENESS_LOST } from '../src/drivers/kafka/kafka-liveness.js';
import { enc, waitStatus } from './conformance/helpers.js';

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

void test('kafka: an idle driver notices a frozen broker (reconnecting, by the liveness check), and comes back when it thaws', { timeout: 240_000 }, async (t) => {
  const reasons: string[] = [];
  const logger: DriverLogger = {
    debug() {},
    info() {},
    warn: (fields: { status?: string; reason?: string }, msg) => void (msg === 'broker status' && fields.status === 'reconnecting' && reasons.push(fields.reason ?? '')),
    error() {},
  };
  // After hooks run in registration order: the broker thaws first, or close() waits on it frozen.
  t.after(() => kafka.resume());
  const driver = await createDriver('kafka', { urls: [kafka.url], name: 'idle-liveness', livenessIntervalMs: 500, logger });
  t.after(() => driver.close());
  await driver.connect();
  // A produce connection as well as the admin's: both idle from here on.
  assert.equal(driver.publish('idle.events.x', enc('before')), 'sent');
  await driver.flush();
  const published = driver.stats().published;
  assert.equal(published, 1);

  await kafka.pause();
  // Nothing is sent: only the liveness check can notice (the library's own request timeout, 30 s,
  // applies to requests, and there are none). The bound only names a hang.
  await waitStatus(driver, 'reconnecting', 60_000);
  assert.ok(reasons.some((r) => r.includes(KAFKA_LIVENESS_LOST)), `reconnecting for the liveness check, not ${JSON.stringify(reasons)}`);
  // Held while the broker is away, sent once it is back.
  assert.equal(driver.publish('idle.events.x', enc('while frozen')), 'buffered');

  kafka.resume();
  await waitStatus(driver, 'connected', 120_000);
  assert.equal(driver.stats().reconnects, 1);
  await driver.flush();
  assert.equal(driver.stats().published, published + 1);
  assert.equal(driver.status, 'connected');
});

void test('kafka: livenessIntervalMs that is not a number > 0 (at most 2147483647) is refused with FSBUS_ERR_TRANSPORT_INVALID_OPTION', async () => {
  for (const bad of [0, -1, Number.NaN, 2 ** 31, Number.POSITIVE_INFINITY]) {
    await assert.rejects(createDriver('kafka', { urls: ['kafka://127.0.0.1:1'], livenessIntervalMs: bad }), { code: TransportErrorCode.INVALID_OPTION, message: /livenessIntervalMs/ });
  }
});
