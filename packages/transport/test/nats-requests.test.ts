/**
 * The NATS driver's own request mux (one inbox subscription, one deadline timer): replies
 * find their request among many in flight, each deadline is its own, a late reply is dropped,
 * and closing the driver fails what still waits instead of leaving it hanging.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver, type ServeRequest } from '@fsbus/transport';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A nats-server with a connected responder and client driver, all stopped after `fn`. */
async function withPair(fn: (responder: Driver, client: Driver) => Promise<void>): Promise<void> {
  const server = await startNatsServer();
  const responder = await createDriver('nats', { urls: [server.url] });
  const client = await createDriver('nats', { urls: [server.url] });
  try {
    await responder.connect();
    await client.connect();
    await fn(responder, client);
  } finally {
    await client.close();
    await responder.close();
    await server.stop();
  }
}

void test('nats requests: 500 in flight, mixed deadlines, late replies dropped, close fails the rest', () =>
  withPair(async (responder, client) => {
    const held: ServeRequest[] = [];
    const heldWaiters: Array<{ n: number; resolve: () => void }> = [];
    const heldCount = (n: number) => new Promise<void>((resolve) => (held.length >= n ? resolve() : heldWaiters.push({ n, resolve })));
    // Echoes at once, except `hold:*` requests, answered only when the test says so.
    const lane = responder.serve({ subject: 'mux.echo', competing: true, group: 'mux' }, (req) => {
      const text = dec(req.data);
      if (!text.startsWith('hold:')) return enc(`re:${text}`);
      held.push(req);
      for (const w of heldWaiters.filter((x) => held.length >= x.n)) w.resolve();
      return undefined;
    });
    await responder.flush();

    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => client.request('mux.echo', enc(String(i)), { timeoutMs: 10_000 })));
    assert.deepEqual(replies.map((m) => dec(m.data)), Array.from({ length: 500 }, (_, i) => `re:${i}`));

    // A short deadline behind a long one expires first; answering it late changes nothing.
    const long = client.request('mux.echo', enc('hold:long'), { timeoutMs: 60_000 });
    const short = client.request('mux.echo', enc('hold:short'), { timeoutMs: 50 });
    await assert.rejects(short, { code: TransportErrorCode.TIMEOUT });
    await heldCount(2);
    for (const req of held) req.reply(enc(`late:${dec(req.data)}`));
    assert.equal(dec((await long).data), 'late:hold:long');

    const waiting = client.request('mux.echo', enc('hold:never'), { timeoutMs: 60_000 });
    await heldCount(3);
    const failed = assert.rejects(waiting, { code: TransportErrorCode.CLOSED });
    await client.close();
    await failed;
    await lane.unsubscribe();
  }));

void test('nats: close() fails a pending gather with CLOSED, like a pending request', () =>
  withPair(async (responder, client) => {
    const arrived = new Promise<void>((resolve) => {
      responder.serve({ subject: 'mux.silent', competing: false }, () => {
        resolve();
        return undefined;
      });
    });
    await responder.flush();
    const request = client.request('mux.silent', enc('x'), { timeoutMs: 60_000 });
    const gather = client.gather('mux.silent', enc('x'), { timeoutMs: 60_000 });
    const failed = Promise.all([
      assert.rejects(request, { code: TransportErrorCode.CLOSED }),
      assert.rejects(gather, { code: TransportErrorCode.CLOSED }),
    ]);
    await arrived;
    await client.close();
    await failed;
  }));
