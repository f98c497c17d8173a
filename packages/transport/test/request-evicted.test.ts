// A request (or gather) that waits while its broker is away and that the bounded outbox pushes out
// for newer messages was never sent: it fails at once with FSBUS_ERR_TRANSPORT_BROKER, saying so,
// counted once in stats().dropped. Before, it was only counted and its requester waited out its
// whole timeout (60 s here) for a reply that could not come. ZeroMQ holds no request in the
// outbox: its DEALER's bounded writer queue pushes the oldest out instead, with the same words.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { freePort, startMosquitto, startNatsServer, startRabbitMq, startRedis } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import { enc, waitStatus } from './conformance/helpers.js';
import { startRelay, type Relay } from './conformance/relay.js';

const LONG = 60_000;
const BUFFER = 2;
const LANE = 'freeswitch.api';
const NEVER_SENT = /^(request to|gather on) freeswitch\.api: never sent, pushed out of the full send buffer for newer messages \(it did not run\)$/;

interface Broker {
  url: string;
  stop(): Promise<void>;
}

const BROKERS: Array<[string, () => Promise<Broker>]> = [
  ['nats', () => startNatsServer()],
  ['amqp', () => startRabbitMq()],
  ['redis', () => startRedis()],
  ['mqtt', () => startMosquitto()],
];

/** Its outcome if it has one by the next macrotask, else 'pending'. */
function outcomeNow<T>(promise: Promise<T>): Promise<{ value: T } | { code: unknown; message: string } | 'pending'> {
  const settled = promise.then(
    (value) => ({ value }),
    (err: { code?: unknown; message: string }) => ({ code: err.code, message: err.message }),
  );
  return Promise.race([settled, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

async function assertNeverSent(name: string, promise: Promise<unknown>): Promise<void> {
  const outcome = await outcomeNow(promise);
  assert.notEqual(outcome, 'pending', `the ${name} still waits although it was pushed out unsent`);
  assert.equal((outcome as { code: unknown }).code, TransportErrorCode.BROKER);
  assert.match((outcome as { message: string }).message, NEVER_SENT);
}

for (const [kind, start] of BROKERS) {
  void describe(`${kind}: requests pushed out of the full outbox while the broker is away`, { timeout: 120_000 }, () => {
    let broker: Broker;
    let relay: Relay;
    let client: Driver;
    before(async () => {
      broker = await start();
      relay = await startRelay(Number(new URL(broker.url).port));
      client = await createDriver(kind, { urls: [relay.url(broker.url)], name: `evicted-${kind}`, bufferMessages: BUFFER });
      await client.connect();
      await relay.cut();
      await waitStatus(client, 'reconnecting', 60_000);
    });
    after(async () => {
      await client.close();
      await relay.close();
      await broker.stop();
    });

    void test('the oldest request fails at once (BROKER, never sent), counted once', async () => {
      const dropped = client.stats().dropped;
      const requests = [0, 1, 2].map((i) => client.request(LANE, enc(`r${i}`), { timeoutMs: LONG }));
      for (const r of requests) r.catch(() => undefined);
      await assertNeverSent('oldest request', requests[0]!);
      assert.equal(client.stats().dropped - dropped, 1);
      // The newer two still wait; they are pushed out by the gather below.
      assert.equal(await outcomeNow(requests[1]!), 'pending');
    });

    void test('a gather pushed out fails the same way; a fire-and-forget command is only counted', async () => {
      const dropped = client.stats().dropped;
      const gather = client.gather(LANE, enc('g'), { timeoutMs: LONG });
      gather.catch(() => undefined);
      // The outbox held [r1, r2]: the gather pushed r1 out; commands (`<prefix>.api` runs on
      // arrival: kind 'request', nobody waiting) push out r2, then the gather, then each other.
      for (let i = 0; i < 4; i++) assert.equal(client.publish(LANE, enc(`command-${i}`)), 'buffered');
      await assertNeverSent('gather', gather);
      assert.equal(client.stats().dropped - dropped, 5);
    });
  });
}

void test("zmq: the oldest request waiting in the DEALER's full writer queue fails at once (BROKER, never sent), counted once", { timeout: 60_000 }, async (t) => {
  const commands = await freePort();
  const events = await freePort();
  const url = `zmq://127.0.0.1:${commands}?events=${events}`;
  const agent = await createDriver('zmq', { urls: [url], name: 'evicted-agent' });
  await agent.connect();
  agent.serve({ subject: LANE, competing: true }, () => enc('ok'));
  await agent.flush();
  const client = await createDriver('zmq', { urls: [url], name: 'evicted-zmq', bufferMessages: BUFFER, connectTimeoutMs: 5000 });
  t.after(() => client.close());
  await client.connect();
  // Its lanes learned: a request goes straight to the writer.
  assert.equal((await client.request(LANE, enc('warm'), { timeoutMs: LONG })).data.byteLength, 2);
  await agent.close();
  await waitStatus(client, 'reconnecting', 30_000);
  const dropped = client.stats().dropped;
  // One tick: the writer hands the first to the socket and queues BUFFER more; the next pushes the oldest queued out.
  const requests = [0, 1, 2, 3].map((i) => client.request(LANE, enc(`r${i}`), { timeoutMs: LONG }));
  for (const r of requests) r.catch(() => undefined);
  await assertNeverSent('oldest queued request', requests[1]!);
  assert.equal(client.stats().dropped - dropped, 1);
});
