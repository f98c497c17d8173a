/**
 * One driver loses its broker while the others keep theirs (a TCP relay in front of the shared
 * broker, cut and restored): requests that waited out the outage and were given up are never sent,
 * and one in flight when the connection died is not sent again (it may have run already);
 * what was buffered goes out before anything published once 'connected' is announced; flush() does
 * not pretend buffered messages reached the broker; close() during connect() leaves no connection.
 * For drivers reached over one TCP address per broker (not Kafka, which hands out its brokers'
 * own addresses, nor brokerless ZeroMQ).
 */
import { strict as assert } from 'node:assert';
import { TransportErrorCode, type Driver } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus, within } from './helpers.js';
import { startRelay, type Relay } from './relay.js';
import type { CaseContext } from './suite.js';

type Run = (name: string, fn: (ctx: CaseContext) => Promise<void>) => void;

/** A connected driver whose connection goes through a fresh relay (closed with the case). */
async function relayed(ctx: CaseContext, fn: (driver: Driver, relay: Relay) => Promise<void>): Promise<void> {
  const relay = await startRelay(Number(new URL(ctx.broker.url).port));
  try {
    const [driver] = await ctx.drivers(1, { urls: [relay.url(ctx.broker.url)] });
    await fn(driver!, relay);
  } finally {
    await relay.close();
  }
}

/** Cuts the relay and waits until the driver noticed. */
async function goAway(driver: Driver, relay: Relay): Promise<void> {
  await relay.cut();
  await waitStatus(driver, 'reconnecting');
}

/** A driver of its own subscribed to `pattern` (and flushed): what reaches it, in order. */
async function collecting(ctx: CaseContext, pattern: string): Promise<Collector<string>> {
  const [sub] = await ctx.drivers(1);
  const got = new Collector<string>();
  sub!.subscribe(pattern, (m) => got.push(dec(m.data)));
  await sub!.flush();
  return got;
}

/** Serves `<root>.api` on `server` (flushed), answering 'done': the requests it ran, in order. */
async function recordingServer(server: Driver, root: string): Promise<Collector<string>> {
  const executed = new Collector<string>();
  server.serve({ subject: `${root}.api`, competing: true }, (req) => {
    executed.push(dec(req.data));
    return enc('done');
  });
  await server.flush();
  return executed;
}

export function runOutageCases(run: Run): void {
  run('a request given up (timeout, abort) while its requester was away is never sent', async (ctx) => {
    const { drivers, root } = ctx;
    const [server] = await drivers(1);
    const executed = await recordingServer(server!, root);
    await relayed(ctx, async (client, relay) => {
      assert.equal(dec((await client.request(`${root}.api`, enc('warm-up'), { timeoutMs: 10_000 })).data), 'done');
      await goAway(client, relay);
      await assert.rejects(client.request(`${root}.api`, enc('timed-out'), { timeoutMs: 50 }), { code: TransportErrorCode.TIMEOUT });
      const ac = new AbortController();
      const aborted = client.request(`${root}.api`, enc('aborted'), { timeoutMs: 60_000, signal: ac.signal });
      ac.abort();
      await assert.rejects(aborted, { code: TransportErrorCode.ABORTED });
      await relay.restore();
      await waitStatus(client, 'connected', 60_000);
      assert.equal(client.stats().pending, 0);
      assert.equal(client.stats().expired, 2);
      // Sent after the outbox on the same connection: a stale request would have run before it.
      assert.equal(dec((await client.request(`${root}.api`, enc('fresh'), { timeoutMs: 10_000 })).data), 'done');
      assert.deepEqual(executed.items, ['warm-up', 'fresh']);
    });
  });

  run('a gathering given up (timeout, abort) while its requester was away is never sent (a broadcast command does not run late); one still waiting goes on reconnect', async (ctx) => {
    const { drivers, root } = ctx;
    const [server] = await drivers(1);
    const executed = new Collector<string>();
    server!.serve({ subject: `${root}.broadcast`, competing: false }, (req) => {
      executed.push(dec(req.data));
      return enc('here');
    });
    await server!.flush();
    await relayed(ctx, async (client, relay) => {
      assert.equal((await client.gather(`${root}.broadcast`, enc('warm-up'), { timeoutMs: 10_000, expect: 1 })).length, 1);
      await goAway(client, relay);
      // A gathering ends at its timeout with what came: nothing, the server being out of reach.
      assert.deepEqual(await client.gather(`${root}.broadcast`, enc('timed-out'), { timeoutMs: 50 }), []);
      const ac = new AbortController();
      const aborted = client.gather(`${root}.broadcast`, enc('aborted'), { timeoutMs: 60_000, signal: ac.signal });
      ac.abort();
      await assert.rejects(aborted, { code: TransportErrorCode.ABORTED });
      // One still waiting when the server is back goes then, and gathers its reply.
      const waiting = client.gather(`${root}.broadcast`, enc('waiting'), { timeoutMs: 60_000, expect: 1 });
      await relay.restore();
      await waitStatus(client, 'connected', 60_000);
      assert.equal((await within(waiting, 30_000, 'the gathering that waited out the outage was not sent')).length, 1);
      assert.equal(client.stats().expired, 2);
      assert.equal(client.stats().pending, 0);
      // Sent after the outbox on the same connection: a stale gathering would have run before it.
      assert.equal((await client.gather(`${root}.broadcast`, enc('fresh'), { timeoutMs: 10_000, expect: 1 })).length, 1);
      assert.deepEqual(executed.items, ['warm-up', 'waiting', 'fresh']);
    });
  });

  run('a request its requester gave up on while the server was away is not run when the server is back', async (ctx) => {
    const { root } = ctx;
    const [client] = await ctx.drivers(1);
    await relayed(ctx, async (server, relay) => {
      const executed = await recordingServer(server, root);
      assert.equal(dec((await client!.request(`${root}.api`, enc('warm-up'), { timeoutMs: 10_000 })).data), 'done');
      await goAway(server, relay);
      // Timed out, or refused at once where the broker knows nobody serves the lane now: nobody waits for it either way.
      await assert.rejects(client!.request(`${root}.api`, enc('stale'), { timeoutMs: 200 }));
      await relay.restore();
      await waitStatus(server, 'connected', 60_000);
      // Queued after the stale one where the broker kept it: once this is answered, that one was passed over.
      assert.equal(dec((await client!.request(`${root}.api`, enc('fresh'), { timeoutMs: 10_000 })).data), 'done');
      assert.deepEqual(executed.items, ['warm-up', 'fresh']);
    });
  });

  run('a request whose connection dies before the broker answered runs once, not again on reconnect', async (ctx) => {
    const { root } = ctx;
    const [server] = await ctx.drivers(1);
    const executed = await recordingServer(server!, root);
    await relayed(ctx, async (client, relay) => {
      assert.equal(dec((await client.request(`${root}.api`, enc('warm-up'), { timeoutMs: 10_000 })).data), 'done');
      // The broker took the request (its server ran it) but the client never hears back: it cannot
      // tell a request the broker took from one it lost, so sending it again would run it twice.
      relay.holdAnswers();
      const once = client.request(`${root}.api`, enc('once'), { timeoutMs: 3_000 }).then(
        (reply) => dec(reply.data),
        (err: { code?: string }) => err.code,
      );
      assert.deepEqual(await executed.until(2), ['warm-up', 'once']);
      await goAway(client, relay);
      await relay.restore();
      await waitStatus(client, 'connected', 60_000);
      // Sent after anything resent on reconnect: once this one ran, a resent 'once' would have too.
      assert.equal(dec((await client.request(`${root}.api`, enc('after'), { timeoutMs: 10_000 })).data), 'done');
      assert.deepEqual(executed.items, ['warm-up', 'once', 'after']);
      // Settles either way: the first run's reply where the broker kept it, else typed.
      assert.ok(['done', TransportErrorCode.TIMEOUT, TransportErrorCode.DISCONNECTED].includes((await once) as string), `settled as ${String(await once)}`);
    });
  });

  run('on reconnect the buffered messages go out before one published from the connected listener', async (ctx) => {
    const { root } = ctx;
    const got = await collecting(ctx, `${root}.order.>`);
    await relayed(ctx, async (pub, relay) => {
      await goAway(pub, relay);
      for (const s of ['old1', 'old2', 'old3']) assert.equal(pub.publish(`${root}.order.x`, enc(s)), 'buffered');
      const off = pub.on((e) => {
        if (e.type !== 'status' || e.status !== 'connected') return;
        off();
        assert.equal(pub.publish(`${root}.order.x`, enc('new')), 'sent');
      });
      await relay.restore();
      await waitStatus(pub, 'connected', 60_000);
      assert.deepEqual(await got.until(4), ['old1', 'old2', 'old3', 'new']);
    });
  });

  run('flush() while the broker is away rejects, typed, and the buffer goes out on reconnect', async (ctx) => {
    const { root } = ctx;
    const got = await collecting(ctx, `${root}.flush.>`);
    await relayed(ctx, async (pub, relay) => {
      await goAway(pub, relay);
      pub.publish(`${root}.flush.x`, enc('1'));
      pub.publish(`${root}.flush.x`, enc('2'));
      await assert.rejects(pub.flush(), { code: TransportErrorCode.DISCONNECTED });
      assert.equal(pub.stats().pending, 2);
      await relay.restore();
      await waitStatus(pub, 'connected', 60_000);
      await pub.flush();
      assert.deepEqual(await got.until(2), ['1', '2']);
    });
  });

  run('flush() the connection dies under settles: rejects DISCONNECTED, never hangs or pretends', async (ctx) => {
    const { root } = ctx;
    await relayed(ctx, async (pub, relay) => {
      assert.equal(pub.publish(`${root}.lost.x`, enc('in flight')), 'sent');
      const flushing = pub.flush();
      // Cut in the same tick: the broker's acknowledgement can never come back.
      await relay.cut();
      await assert.rejects(within(flushing, 15_000, 'flush() never settled after its connection died'), { code: TransportErrorCode.DISCONNECTED });
    });
  });

  run('unsubscribe() of a lane settles when the connection dies under it', async (ctx) => {
    const { root } = ctx;
    await relayed(ctx, async (server, relay) => {
      const lane = server.serve({ subject: `${root}.api`, competing: true }, () => enc('done'));
      await server.flush();
      const leaving = lane.unsubscribe();
      // Cut in the same tick: the broker's answer to leaving can never come back.
      await relay.cut();
      await within(leaving.catch(() => undefined), 15_000, 'unsubscribe() never settled after its connection died');
    });
  });

  run('close() resolves when the connection dies while it closes', async ({ broker, target }) => {
    const relay = await startRelay(Number(new URL(broker.url).port));
    try {
      const d = await target.create({ urls: [relay.url(broker.url)], name: 'dies-while-closing' });
      await d.connect();
      const closing = d.close();
      // Cut in the same tick: the broker's answer to the close handshake can never come back.
      await relay.cut();
      await within(closing, 15_000, 'close() never settled after its connection died');
      assert.equal(d.status, 'closed');
    } finally {
      await relay.close();
    }
  });

  run('close() during connect() rejects it with CLOSED and leaves no connection open', async ({ broker, target }) => {
    const relay = await startRelay(Number(new URL(broker.url).port));
    try {
      const d = await target.create({ urls: [relay.url(broker.url)], name: 'close-during-connect' });
      const connecting = d.connect();
      await d.close();
      await assert.rejects(connecting, { code: TransportErrorCode.CLOSED });
      assert.equal(d.status, 'closed');
      assert.ok(relay.accepted > 0, 'the driver never opened a connection');
      await relay.idle();
    } finally {
      await relay.close();
    }
  });
}
