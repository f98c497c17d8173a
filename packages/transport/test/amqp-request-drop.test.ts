/**
 * AMQP requests in flight when the client's connection drops fail at once with
 * FSBUS_ERR_TRANSPORT_DISCONNECTED instead of waiting out their timeout: the reply would come back
 * on direct reply-to, whose consumer died with the channel (and the request is not sent again: it
 * may have run); a gathering in flight ends with what came. A nacked request, by contrast, is not
 * failed: RabbitMQ nacks when any one queue refuses, and the lane may have taken it.
 * Real RabbitMQ; the client goes through a TCP relay that is cut while the server holds the reply.
 * Until a drop, only requests still waiting are kept (`stats().awaitingReplies`): one that settled
 * (reply, timeout, abort, no responders) is let go at once, its payload with it.
 */
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from 'amqplib';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus, within } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

/** Long enough that waiting it out would fail the test's own bound. */
const LONG = 600_000;
/** How soon "at once" must be (the cut is seen as soon as the socket closes). */
const BOUND = 10_000;

let rabbit: RabbitMqHandle;
let url: string;
before(async () => {
  rabbit = await startRabbitMq();
  url = `amqp://guest:guest@127.0.0.1:${rabbit.port}`;
});
after(() => rabbit.stop());

for (const confirmLost of [false, true]) {
  const what = confirmLost ? 'whose confirm was lost with the connection (dropped, counted)' : 'the broker confirmed';
  void test(`amqp: a request ${what} fails at once with DISCONNECTED when the connection drops before the reply; a gathering ends with what came`, { timeout: 60_000 }, async (t) => {
    const server = await createDriver('amqp', { urls: [url], name: 'drop-server' });
    t.after(() => server.close());
    const relay = await startRelay(rabbit.port);
    t.after(() => relay.close());
    const client = await createDriver('amqp', { urls: [relay.url(url)], name: 'drop-client' });
    t.after(() => client.close());
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    t.after(() => release());
    const arrived = new Collector<string>();
    await server.connect();
    server.serve({ subject: 'drop.api', competing: true }, async (req) => {
      const body = dec(req.data);
      arrived.push(body);
      // The reply is held until the client's connection is gone.
      if (body.startsWith('held')) await released;
      return enc(`re:${body}`);
    });
    await server.flush();
    await client.connect();
    assert.equal(dec((await client.request('drop.api', enc('warm'), { timeoutMs: 10_000 })).data), 're:warm');
    await client.flush();
    // The relay stops passing the broker's bytes: the confirms of what follows never arrive.
    if (confirmLost) relay.holdAnswers();
    const request = client.request('drop.api', enc('held-request'), { timeoutMs: LONG });
    const gathering = client.gather('drop.api', enc('held-gather'), { timeoutMs: LONG, expect: 1 });
    gathering.catch(() => undefined); // awaited below: a failure before that must not leave it unheard
    await arrived.until(3);
    if (!confirmLost) await client.flush(); // both confirmed: nothing is dropped
    const away = waitStatus(client, 'reconnecting');
    await relay.cut();
    await away;
    await within(
      assert.rejects(request, { code: TransportErrorCode.DISCONNECTED, message: /drop\.api.*lost before the reply/ }),
      BOUND,
      'the request did not fail at once when its connection dropped (it waits out its timeout)',
    );
    assert.deepEqual(await within(gathering, BOUND, 'the gathering did not end at once when its connection dropped'), []);
    assert.equal(client.stats().dropped, confirmLost ? 2 : 0);
    // The held replies go to a reply address that died; the driver is back and answers again.
    release();
    await relay.restore();
    await waitStatus(client, 'connected');
    assert.equal(dec((await client.request('drop.api', enc('after'), { timeoutMs: 10_000 })).data), 're:after');
    // Neither held request was sent again on the new connection.
    assert.deepEqual(arrived.items, ['warm', 'held-request', 'held-gather', 'after']);
  });
}

void test('amqp: a request nacked by a full queue bound beside its lane still gets the reply (no false failure to retry)', { timeout: 60_000 }, async (t) => {
  const admin = await connect(url);
  t.after(() => admin.close());
  const ch = await admin.createChannel();
  const server = await createDriver('amqp', { urls: [url], name: 'nack-server' });
  t.after(() => server.close());
  const client = await createDriver('amqp', { urls: [url], name: 'nack-client' });
  t.after(() => client.close());
  await Promise.all([server.connect(), client.connect()]);
  server.serve({ subject: 'nack.api', competing: true }, (req) => enc(`re:${dec(req.data)}`));
  await server.flush();
  // A queue that takes nothing, bound for the same subject: RabbitMQ nacks every publish routed to it.
  const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
  await ch.bindQueue(queue, 'freeswitch', 'nack.api');
  const reply = await within(client.request('nack.api', enc('x'), { timeoutMs: LONG }), BOUND, 'no reply');
  assert.equal(dec(reply.data), 're:x');
  // Once every confirm is in (flush waits for them; amqplib may or may not fail it for a nack
  // already settled), the nack is counted.
  await client.flush().catch(() => undefined);
  assert.equal(client.stats().dropped, 1, 'the nack is counted');
});

void test('amqp: a request that settled is let go at once (reply, gather, timeout, abort, no responders): stats().awaitingReplies counts only those still waiting', { timeout: 60_000 }, async (t) => {
  const server = await createDriver('amqp', { urls: [url], name: 'keep-server' });
  t.after(() => server.close());
  const client = await createDriver('amqp', { urls: [url], name: 'keep-client' });
  t.after(() => client.close());
  await Promise.all([server.connect(), client.connect()]);
  const abort = new AbortController();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  t.after(() => release());
  const arrived = new Collector<string>();
  server.serve({ subject: 'keep.api', competing: true }, async (req) => {
    const body = dec(req.data);
    arrived.push(body);
    // Aborted once it is surely on the wire: the request settles while published, awaiting its reply.
    if (body === 'silent-abort') abort.abort();
    if (body === 'held') await released;
    return body.startsWith('silent') ? undefined : enc(`re:${body}`);
  });
  await server.flush();
  const awaiting = () => client.stats().awaitingReplies;
  assert.equal(awaiting(), 0);
  // One still waiting is counted (it would fail at once with DISCONNECTED if the connection dropped).
  const held = client.request('keep.api', enc('held'), { timeoutMs: 10_000 });
  await arrived.until(1);
  assert.equal(awaiting(), 1, 'the request waiting for its reply');
  release();
  assert.equal(dec((await held).data), 're:held');
  assert.equal(awaiting(), 0, 'replied');
  for (let i = 0; i < 20; i++) assert.equal(dec((await client.request('keep.api', enc(`replied-${i}`), { timeoutMs: 10_000 })).data), `re:replied-${i}`);
  assert.equal(awaiting(), 0, 'replied (20)');
  assert.equal((await client.gather('keep.api', enc('gathered'), { timeoutMs: 10_000, expect: 1 })).length, 1);
  assert.equal(awaiting(), 0, 'gathered');
  await assert.rejects(client.request('keep.api', enc('silent-timeout'), { timeoutMs: 50 }), { code: TransportErrorCode.TIMEOUT });
  assert.equal(awaiting(), 0, 'timed out');
  await assert.rejects(client.request('keep.api', enc('silent-abort'), { timeoutMs: LONG, signal: abort.signal }), { code: TransportErrorCode.ABORTED });
  assert.equal(awaiting(), 0, 'aborted');
  await assert.rejects(client.request('keep.nobody', enc('unroutable'), { timeoutMs: LONG }), { code: TransportErrorCode.NO_RESPONDERS });
  assert.equal(awaiting(), 0, 'no responders');
});
