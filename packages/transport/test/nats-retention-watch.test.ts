// The NATS durable consumer's retention watch, piece by piece (nats-retention-watch.ts), against a
// real server: the check after an outage tells what the stream removed past the consumer's
// position, not what arrived once the connection was back, and tells it once; a stopped watch
// tells nothing; the check's failure is said as such.
import { test, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer } from '@fsbus/testkit';
import type { DriverLogger, RetentionLoss } from '../src/driver.js';
import { RetentionWatch } from '../src/nats/nats-retention-watch.js';

interface Told {
  losses: RetentionLoss[];
  warnings: string[];
  logger: DriverLogger;
}

function told(): Told {
  const losses: RetentionLoss[] = [];
  const warnings: string[] = [];
  const none = (): void => undefined;
  return { losses, warnings, logger: { debug: none, info: none, error: none, warn: (_obj, msg) => void warnings.push(msg ?? '') } };
}

/** Stream RW keeping 3 messages, 8 published (1..5 removed), and durable `billing` that read none. */
async function streamPastConsumer(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'RW', subjects: ['rw.x'], max_msgs: 3 });
  await jsm.consumers.add('RW', { durable_name: 'billing', deliver_subject: 'rw.deliver', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
  for (let i = 1; i <= 8; i++) nc.publish('rw.x', String(i));
  await nc.flush();
  assert.equal((await jsm.streams.info('RW')).state.first_seq, 6);
}

/** A JetStream server and a watch of durable `billing` on `stream`, with what it tells; all stopped after the test. */
async function watchOn(t: TestContext, stream: string, prepare?: (nc: NatsConnection) => Promise<void>): Promise<{ watch: RetentionWatch; tell: Told }> {
  const server = await startNatsServer({ jetstream: true });
  t.after(() => server.stop());
  const nc = await connect({ servers: server.url });
  t.after(() => nc.close());
  await prepare?.(nc);
  const tell = told();
  return { watch: new RetentionWatch(nc, { stream, durable: 'billing', onRetentionLoss: (l) => void tell.losses.push(l) }, tell.logger, 0), tell };
}

void test('nats retention watch: an outage during which the stream moved past the consumer is told once, what arrived after it is not', async (t) => {
  const { watch, tell } = await watchOn(t, 'RW', streamPastConsumer);
  // Message 4 arrived once the connection was back (sent before the server moved on): not lost.
  const outage = { since: 0, firstAfter: 4 };
  await watch.checkLoss(outage);
  assert.deepEqual(tell.losses, [{ from: 1, to: 3, count: 3 }]);
  assert.deepEqual(tell.warnings, ['stream retention removed messages this durable consumer had not acknowledged: they will not be delivered']);
  // The next outage starts past what was told.
  watch.disconnected();
  await watch.reconnected();
  assert.deepEqual(tell.losses, [{ from: 1, to: 3, count: 3 }, { from: 4, to: 5, count: 2 }], 'only what was not told yet');
});

void test('nats retention watch: a delivery newer than the position moves it, so a later outage is told from there; a stopped watch tells nothing', async (t) => {
  const { watch, tell } = await watchOn(t, 'RW', streamPastConsumer);
  watch.received(2);
  watch.received(1);
  watch.disconnected();
  await watch.reconnected();
  assert.deepEqual(tell.losses, [{ from: 3, to: 5, count: 3 }]);
  watch.stop();
  await watch.checkLoss({ since: 0 });
  assert.equal(tell.losses.length, 1, 'nothing told once stopped');
});

void test('nats retention watch: a check that cannot reach the stream says it cannot tell', async (t) => {
  const { watch, tell } = await watchOn(t, 'ABSENT');
  await watch.checkLoss({ since: 0 });
  assert.deepEqual(tell.losses, []);
  assert.deepEqual(tell.warnings, ['cannot tell whether stream retention removed messages of this durable consumer']);
});
