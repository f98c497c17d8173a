/**
 * Broker faults, for every driver: a restart in the middle of a request stream (every request
 * settles: a reply or a typed error, never silence; service comes back by itself) and the bounded
 * outgoing buffer while the broker is away (drops within the bound, counted; the rest delivered in
 * order). Both halt and restart the file's shared broker, so they run last and leave it running.
 */
import { strict as assert } from 'node:assert';
import { TransportError, TransportErrorCode, type Driver } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus } from './helpers.js';
import type { CaseContext } from './suite.js';

type Run = (name: string, fn: (ctx: CaseContext) => Promise<void>) => void;

const ACCEPTED = new Set<string>([
  TransportErrorCode.TIMEOUT,
  TransportErrorCode.NO_RESPONDERS,
  TransportErrorCode.BROKER,
  // In flight when the connection dropped, its reply path gone with it (AMQP direct reply-to).
  TransportErrorCode.DISCONNECTED,
]);

export function runFaultCases(run: Run): void {
  run('broker restart mid-stream: every request gets a reply or a typed error, then service resumes', async ({ broker, drivers, root }) => {
    const [a, b, client] = await drivers(3);
    for (const d of [a!, b!]) {
      d.serve({ subject: `${root}.api`, competing: true }, (req) => enc(`ok:${dec(req.data)}`));
      await d.flush();
    }
    const log = new Collector<string>();
    const outcomes = log.items;
    let restarted = false;
    let stopped = false;
    let okAfter = 0;
    let sinceRestart = 0;
    let i = 0;
    // Sequential requests while the broker goes down and comes back; each is bounded by its timeout.
    const stream = (async () => {
      while (okAfter < 5 && !stopped) {
        const n = i++;
        try {
          const r = await client!.request(`${root}.api`, enc(String(n)), { timeoutMs: 1000 });
          assert.equal(dec(r.data), `ok:${n}`); // never someone else's reply
          log.push('ok');
          if (restarted) okAfter++;
        } catch (err) {
          assert.ok(err instanceof TransportError, `untyped failure: ${String(err)}`);
          assert.ok(ACCEPTED.has(err.code), `unexpected code ${err.code}`);
          log.push(err.code);
          if (!restarted) {
            await waitNotConnected(client!);
            // While it is away every request fails at once: wait for it to be back instead of
            // spinning through thousands of them while a slow broker restarts.
            if (client!.status !== 'connected') await waitStatus(client!, 'connected', 120_000);
          }
        }
        // A broker that stops slowly serves on meanwhile: only requests after the restart count here.
        if (restarted && ++sinceRestart > 5000) throw new Error(`no recovery after ${sinceRestart} requests: ${outcomes.slice(-5).join(',')}`);
      }
    })();
    try {
      await log.until(3);
      await broker.halt();
      // Every driver noticed the outage before the broker comes back, so 'connected' below means
      // reconnected (lanes and subscriptions restored), not "has not noticed yet".
      await Promise.all([a!, b!, client!].map((d) => waitStatus(d, 'reconnecting', 60_000)));
      await broker.start();
      await Promise.all([a!, b!, client!].map((d) => waitStatus(d, 'connected', 60_000)));
      restarted = true;
    } catch (err) {
      stopped = true; // the request loop ends instead of outliving the failed case
      await stream.catch(() => undefined);
      throw err;
    }
    await stream;
    assert.ok(outcomes.includes('ok'));
    assert.equal(outcomes.length, i);
    assert.ok(client!.stats().reconnects >= 1);
  });

  run('publishes while the broker is away are buffered within the bound, counted, then delivered in order', async ({ broker, drivers, root }) => {
    const [pub] = await drivers(1, { bufferMessages: 5 });
    const got = new Collector<string>();
    // The publisher's own subscription: re-established before its outbox is flushed.
    pub!.subscribe(`${root}.buf.>`, (m) => got.push(dec(m.data)));
    await pub!.flush();
    await broker.halt();
    await waitStatus(pub!, 'reconnecting');
    const outcomes = Array.from({ length: 8 }, (_, i) => pub!.publish(`${root}.buf.x`, enc(String(i))));
    assert.deepEqual(outcomes, Array(8).fill('buffered'));
    // Bound is 5 messages: the 3 oldest were dropped and counted.
    assert.equal(pub!.stats().dropped, 3);
    assert.equal(pub!.stats().pending, 5);
    await broker.start();
    await waitStatus(pub!, 'connected', 60_000);
    await pub!.flush();
    assert.equal(pub!.stats().pending, 0);
    assert.equal(pub!.stats().reconnects, 1);
    assert.deepEqual(await got.until(5), ['3', '4', '5', '6', '7']);
  });
}

/** Resolves once the driver has noticed the outage (its status left 'connected'), bounded. */
function waitNotConnected(d: Driver): Promise<void> {
  if (d.status !== 'connected') return Promise.resolve();
  return new Promise((resolve) => {
    // A request can fail while still connected (the servers' queues vanished first): then go on.
    const timer = setTimeout(resolve, 1000);
    const off = d.on((e) => {
      if (e.type === 'status' && e.status !== 'connected') {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}
