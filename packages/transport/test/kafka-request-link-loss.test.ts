// A request whose produce was in flight when the Kafka connection was lost (the broker frozen until
// the client gave the produce up: up to two livenessIntervalMs — 10 s each by default, 2 s here —
// to 'reconnecting', the driver's liveness check dropping the silent connection and closing the
// producer, so the library's retry of the produce does not wait out its 30 s request timeout on a
// new connection to the frozen broker) is not sent again — the broker may have appended it, and a
// command sent twice runs twice. Before, it was not
// counted either, and its requester waited out its timeout. Now, once the send queue gives it up:
// a request fails at once with FSBUS_ERR_TRANSPORT_DISCONNECTED, a gathering ends with what came
// (as on AMQP), a fire-and-forget command is handed back to its publisher
// (PublishOptions.onDroppedAfterSend), and each is counted in stats().dropped. An event of the
// same produce goes again on the reconnect. One client per case, all frozen by the same pause.
import { after, before, test, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import type { DriverLogger } from '../src/driver.js';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';

/** Longer than the test: a request that waits out its timeout fails the test by its own. */
const LONG = 600_000;
const LANE = 'freeswitch.api';
const EVENTS = 'rll.events.x';
const GAVE_UP = 'kafka connection lost with requests unacknowledged';
/** The clients' liveness interval: the frozen broker noticed within 4 s, not the default's 20 s. */
const LIVENESS_MS = 2000;
/**
 * Half @platformatic/kafka's request timeout (30 s, its default; the driver does not set it): a
 * produce the driver does not give up itself when it takes the link for dead ends only with that.
 */
const GIVEN_UP_WITHIN_MS = 15_000;

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

/** Its outcome if it has one by the next macrotask (a rejection made synchronously has), else 'pending'. */
function outcomeNow<T>(promise: Promise<T>): Promise<{ value: T } | { code: unknown } | 'pending'> {
  return Promise.race([promise.then((value) => ({ value }), (err: { code?: unknown }) => ({ code: err.code })), new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

/**
 * Its client takes the link for dead ('reconnecting'), then gives the produce in flight up while the
 * broker is still frozen (it is resumed only after every check), not at the library's request timeout.
 */
async function givenUpWhileFrozen(x: { client: Driver; gaveUp: Collector<string> }, what: string): Promise<void> {
  await waitStatus(x.client, 'reconnecting', 60_000);
  await x.gaveUp.until(1, GIVEN_UP_WITHIN_MS).catch(() => assert.fail(`the ${what}'s produce was not given up within ${GIVEN_UP_WITHIN_MS} ms of 'reconnecting', the broker still frozen (the library's retry waits out its 30 s request timeout)`));
}

/**
 * A connected client whose lane, reply topic and event topic are known (nothing it sends below
 * waits on a metadata lookup). `gaveUp` collects the send queue's line for a produce given up with
 * requests in it, logged where they are failed.
 */
async function warmClient(t: TestContext, name: string): Promise<{ client: Driver; gaveUp: Collector<string> }> {
  const gaveUp = new Collector<string>();
  const logger: DriverLogger = { debug() {}, info() {}, warn: (_o, msg = '') => void (msg.startsWith(GAVE_UP) && gaveUp.push(msg)), error() {} };
  const client = await createDriver('kafka', { urls: [kafka.url], name, logger, livenessIntervalMs: LIVENESS_MS });
  t.after(() => client.close());
  await client.connect();
  assert.equal(dec((await client.request(LANE, enc('warm'), { timeoutMs: 60_000 })).data), 're:warm');
  client.publish(EVENTS, enc('warm'));
  await client.flush();
  return { client, gaveUp };
}

void test('kafka: requests, gatherings and commands in flight when the connection is lost fail at once (DISCONNECTED), end, or are handed back; counted, not sent again', { timeout: 300_000 }, async (t) => {
  // After hooks run in registration order: the broker thaws before any driver closes on it.
  t.after(() => kafka.resume());
  const server = await createDriver('kafka', { urls: [kafka.url], name: 'link-loss-server' });
  t.after(() => server.close());
  await server.connect();
  server.serve({ subject: LANE, competing: true }, (req) => enc(`re:${dec(req.data)}`));
  await server.flush();
  const watcher = await createDriver('kafka', { urls: [kafka.url], name: 'link-loss-watcher' });
  t.after(() => watcher.close());
  await watcher.connect();
  const seen = new Collector<string>();
  watcher.subscribe(EVENTS, (m) => {
    if (dec(m.data) !== 'warm') seen.push(dec(m.data));
  });
  await watcher.flush();
  const [a, b, c] = [await warmClient(t, 'link-loss-request'), await warmClient(t, 'link-loss-gather'), await warmClient(t, 'link-loss-command')];
  const dropped = [a, b, c].map(({ client }) => client.stats().dropped);

  await kafka.pause();
  const request = a.client.request(LANE, enc('held'), { timeoutMs: LONG });
  request.catch(() => undefined); // looked at below
  const gathering = b.client.gather(LANE, enc('held'), { timeoutMs: LONG, expect: 1 });
  gathering.catch(() => undefined);
  const told: Array<[string, string]> = [];
  const onDroppedAfterSend = (subject: string, data: Uint8Array): void => void told.push([subject, dec(data)]);
  // One tick: one produce.
  assert.equal(c.client.publish(LANE, enc('command'), { onDroppedAfterSend }), 'sent');
  assert.equal(c.client.publish(EVENTS, enc('event'), { onDroppedAfterSend }), 'sent');

  // Each is checked right after its produce was given up (the broker, frozen, cannot answer meanwhile),
  // soon after its client took the link for dead.
  await givenUpWhileFrozen(a, 'request');
  assert.deepEqual(await outcomeNow(request), { code: TransportErrorCode.DISCONNECTED }, 'the request still waits although its produce was given up');
  await assert.rejects(request, { message: /freeswitch\.api.*lost/ });
  await givenUpWhileFrozen(b, 'gathering');
  assert.deepEqual(await outcomeNow(gathering), { value: [] }, 'the gathering still waits although its produce was given up');
  await givenUpWhileFrozen(c, 'command');
  assert.deepEqual(told, [[LANE, 'command']]);
  assert.deepEqual(
    [a, b, c].map(({ client }, i) => client.stats().dropped - dropped[i]!),
    [1, 1, 1],
  );

  kafka.resume();
  await waitStatus(c.client, 'connected', 90_000);
  await c.client.flush();
  // The event was put back for the reconnect (the broker may have its first copy too: at least once).
  assert.ok((await seen.until(1, 60_000)).every((e) => e === 'event'));
  assert.deepEqual(told, [[LANE, 'command']], 'told once');
});
