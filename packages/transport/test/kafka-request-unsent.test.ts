// A request of ours that the Kafka driver drops before the broker appended it fails at once with
// FSBUS_ERR_TRANSPORT_BROKER, saying it was never sent (it did not run): pushed out of the full send
// queue, pushed out of the full outbox (put back there by a lost connection, or buffered there
// while the broker was away), or refused by the broker (its reason in the message). Before, each
// was only counted and its requester waited out its timeout.
import { after, before, test, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import type { DriverLogger } from '../src/driver.js';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';

ensurePromiseWithResolvers();

/** Longer than any test: a request that waits out its timeout fails the test by the runner's timeout. */
const LONG = 600_000;
const LANE = 'freeswitch.api';
const EVENTS = 'rqu.events.x';
const BUFFER = 4;
const GAVE_UP = 'kafka connection lost with requests unacknowledged';
const REFUSED = 'kafka refused records, dropped';

let kafka: KafkaHandle;
let server: Driver;
before(async () => {
  kafka = await startKafka();
  server = await createDriver('kafka', { urls: [kafka.url], name: 'rqu-server' });
  await server.connect();
  server.serve({ subject: LANE, competing: true }, (req) => enc(`re:${dec(req.data)}`));
  await server.flush();
});
after(async () => {
  await server.close();
  await kafka.stop();
});

/** Its outcome if it has one by the next macrotask, else 'pending'. */
function outcomeNow<T>(promise: Promise<T>): Promise<{ value: T } | { code: unknown; message: string } | 'pending'> {
  const settled = promise.then(
    (value) => ({ value }),
    (err: { code?: unknown; message: string }) => ({ code: err.code, message: err.message }),
  );
  return Promise.race([settled, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

/** Resolves once `holds()` is true, looked at every few milliseconds (the runner's timeout bounds it). */
async function until(holds: () => boolean): Promise<void> {
  while (!holds()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A connected client whose lane, reply topic and event topic are known; `warned` collects the lines named. */
async function warmClient(t: TestContext, name: string, watch: string, livenessIntervalMs?: number): Promise<{ client: Driver; warned: Collector<string> }> {
  const warned = new Collector<string>();
  const logger: DriverLogger = { debug() {}, info() {}, warn: (_o, msg = '') => void (msg.startsWith(watch) && warned.push(msg)), error() {} };
  const client = await createDriver('kafka', { urls: [kafka.url], name, logger, bufferMessages: BUFFER, ...(livenessIntervalMs === undefined ? {} : { livenessIntervalMs }) });
  t.after(() => client.close());
  await client.connect();
  assert.equal(dec((await client.request(LANE, enc('warm'), { timeoutMs: 60_000 })).data), 're:warm');
  client.publish(EVENTS, enc('warm'));
  await client.flush();
  return { client, warned };
}

// First: the lane's readers are not yet disturbed by a paused broker (a request needs them in their group).
void test("kafka: a request the broker refuses (over its lane topic's max.message.bytes, lowered after the driver learned it) fails at once with the broker's reason (BROKER)", { timeout: 120_000 }, async (t) => {
  const { client, warned } = await warmClient(t, 'rqu-refused', REFUSED);
  const dropped = client.stats().dropped;
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'rqu-admin'));
  // After hooks run in order: the limit is taken back before the admin closes.
  t.after(() =>
    admin.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: LANE, configs: [{ name: 'max.message.bytes', configOperation: IncrementalAlterConfigOperationTypes.DELETE }] }] }),
  );
  t.after(() => admin.close());
  const limit = 16 * 1024;
  await admin.incrementalAlterConfigs({
    resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: LANE, configs: [{ name: 'max.message.bytes', configOperation: IncrementalAlterConfigOperationTypes.SET, value: String(limit) }] }],
  });
  const request = client.request(LANE, new Uint8Array(2 * limit), { timeoutMs: LONG });
  request.catch(() => undefined);
  await warned.until(1, 60_000);
  const outcome = await outcomeNow(request);
  assert.notEqual(outcome, 'pending', 'the request still waits although the broker refused it');
  assert.equal((outcome as { code: unknown }).code, TransportErrorCode.BROKER);
  assert.match((outcome as { message: string }).message, /^request to freeswitch\.api: never sent, refused: MESSAGE_TOO_LARGE .+ \(it did not run\)$/);
  assert.equal(client.stats().dropped - dropped, 1);
});

void test('kafka: a request pushed out of the full send queue before it was produced fails at once (BROKER, never sent), counted once', { timeout: 120_000 }, async (t) => {
  // After hooks run in registration order: the broker thaws before the client closes on it.
  t.after(() => kafka.resume());
  const { client } = await warmClient(t, 'rqu-queue', GAVE_UP);
  const dropped = client.stats().dropped;
  await kafka.pause();
  // In flight to the frozen broker: the send loop waits on it, what follows stays in the queue.
  assert.equal(client.publish(EVENTS, enc('stuck')), 'sent');
  await until(() => client.stats().pending === 0);
  const request = client.request(LANE, enc('held'), { timeoutMs: LONG });
  request.catch(() => undefined); // looked at below
  await until(() => client.stats().pending === 1);
  for (let i = 0; i < BUFFER; i++) assert.equal(client.publish(EVENTS, enc(`e${i}`)), 'sent');
  const outcome = await outcomeNow(request);
  assert.notEqual(outcome, 'pending', 'the request still waits although the send queue dropped it');
  assert.equal((outcome as { code: unknown }).code, TransportErrorCode.BROKER);
  assert.match((outcome as { message: string }).message, /^request to freeswitch\.api: never sent, .*full send buffer.*\(it did not run\)$/);
  assert.equal(client.stats().dropped - dropped, 1);
  kafka.resume();
});

void test('kafka: requests pushed out of the full outbox (put back by a lost connection, or buffered while away) fail at once (BROKER, never sent), counted once', { timeout: 300_000 }, async (t) => {
  // After hooks run in registration order: the broker thaws before the client closes on it.
  t.after(() => kafka.resume());
  // The frozen broker noticed within two liveness intervals (4 s), not the default's 20 s.
  const { client, warned } = await warmClient(t, 'rqu-outbox', GAVE_UP, 2000);
  const dropped = client.stats().dropped;
  await kafka.pause();
  // A command in flight to the frozen broker: given up, it is logged (GAVE_UP) after what waited
  // behind it went back to the outbox.
  assert.equal(client.publish(LANE, enc('command')), 'sent');
  await until(() => client.stats().pending === 0);
  const putBack = client.request(LANE, enc('put-back'), { timeoutMs: LONG });
  putBack.catch(() => undefined);
  await until(() => client.stats().pending === 1);
  // Within two liveness intervals, more on a loaded machine.
  await waitStatus(client, 'reconnecting', 150_000);
  const buffered = client.stats().buffered;
  const whileAway = client.request(LANE, enc('while-away'), { timeoutMs: LONG });
  whileAway.catch(() => undefined);
  await until(() => client.stats().buffered === buffered + 1);
  await warned.until(1, 150_000);
  // The outbox holds [put-back, while-away]: newer events push both out.
  for (let i = 0; i < BUFFER; i++) assert.equal(client.publish(EVENTS, enc(`b${i}`)), 'buffered');
  for (const [name, request] of [['put-back', putBack], ['while-away', whileAway]] as const) {
    const outcome = await outcomeNow(request);
    assert.notEqual(outcome, 'pending', `the ${name} request still waits although the outbox dropped it`);
    assert.equal((outcome as { code: unknown }).code, TransportErrorCode.BROKER);
    assert.match((outcome as { message: string }).message, /never sent, .*\(it did not run\)$/);
  }
  // The command lost in flight, and the two requests.
  assert.equal(client.stats().dropped - dropped, 3);
  kafka.resume();
  await waitStatus(client, 'connected', 90_000);
});
