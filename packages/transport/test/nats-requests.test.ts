/**
 * The NATS driver's own request mux (one inbox subscription, one deadline timer): replies
 * find their request among many in flight, each deadline is its own, a late reply is dropped,
 * and closing the driver fails what still waits instead of leaving it hanging. A served request
 * whose reply subject is in the server's `$` namespace is not run, counted and logged per burst.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver, type DriverLogger, type ServeRequest } from '@fsbus/transport';
import { connect, MsgHdrsImpl } from '@nats-io/transport-node';
import { waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

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

void test("nats: a request whose reply subject is in the server's $ namespace is not run — counted in requestsRefused (not dropped), logged once per burst; the next request is answered", async () => {
  const server = await startNatsServer();
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }) };
  const responder = await createDriver('nats', { urls: [server.url], logger });
  const raw = await connect({ servers: server.url });
  try {
    await responder.connect();
    const ran: string[] = [];
    responder.serve({ subject: 'dollar.api', competing: true }, (req) => {
      ran.push(dec(req.data));
      return enc(`re:${dec(req.data)}`);
    });
    await responder.flush();
    // Its reply would go to JetStream's API with the responder's credentials (a purge, a key written).
    raw.publish('dollar.api', enc('purge'), { reply: '$JS.API.STREAM.PURGE.EVENTS' });
    raw.publish('dollar.api', enc('sys'), { reply: '$SYS.REQ.SERVER.PING' });
    // In order on one connection and one subscription: once this is answered, the two were read.
    assert.equal(dec((await raw.request('dollar.api', enc('next'), { timeout: 10_000 })).data), 're:next');
    assert.deepEqual(ran, ['next']);
    const { requestsRefused, dropped, repliesDropped } = responder.stats();
    assert.deepEqual({ requestsRefused, dropped, repliesDropped }, { requestsRefused: 2, dropped: 0, repliesDropped: 0 });
    await responder.close();
    // The first said at once, the second in the burst's line written at close.
    const lines = warnings.filter((w) => w.msg === "request refused: its reply subject is in the server's $ namespace").map((w) => w.fields);
    assert.deepEqual(lines, [
      { subject: 'dollar.api', reply: '$JS.API.STREAM.PURGE.EVENTS' },
      { subject: 'dollar.api', reply: '$SYS.REQ.SERVER.PING', suppressed: 1 },
    ]);
  } finally {
    await raw.close();
    await responder.close();
    await server.stop();
  }
});

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

void test("nats: a request over the server's max_payload (headers included) or to a subject with white space is UNSUPPORTED, at once and also while the server is away", async () => {
  const server = await startNatsServer({ maxPayloadBytes: 1024 });
  const responder = await createDriver('nats', { urls: [server.url] });
  const client = await createDriver('nats', { urls: [server.url] });
  try {
    await responder.connect();
    await client.connect();
    const lane = responder.serve({ subject: 'mux.size', competing: true }, (req) => enc(`re:${req.data.byteLength}`));
    await responder.flush();
    const tooBig = { code: TransportErrorCode.UNSUPPORTED, message: /^request to mux\.size: the message is \d+ bytes, over the server's max_payload of 1024 bytes$/ };
    await assert.rejects(client.request('mux.size', new Uint8Array(1025), { timeoutMs: 10_000 }), tooBig);
    // Every request carries its deadline (`fsbus-expires`, 13 digits of epoch ms): its bytes count too.
    const headersOf = (extra: Record<string, string>): number => {
      const h = new MsgHdrsImpl();
      for (const [k, v] of Object.entries({ ...extra, 'fsbus-expires': String(Date.now()) })) h.set(k, v);
      return h.encode().byteLength;
    };
    const alone = 1024 - headersOf({});
    // `alone` bytes fit with only the deadline; with another header they do not.
    assert.equal(dec((await client.request('mux.size', new Uint8Array(alone), { timeoutMs: 10_000 })).data), `re:${alone}`);
    await assert.rejects(client.request('mux.size', new Uint8Array(alone), { timeoutMs: 10_000, headers: { 'x-pad': 'p'.repeat(40) } }), tooBig);
    // The bound is the server's own: payload + headers as nats.js writes them, up to max_payload exactly.
    const pad = { 'x-pad': 'p'.repeat(40) };
    const room = 1024 - headersOf(pad);
    assert.equal(dec((await client.request('mux.size', new Uint8Array(room), { timeoutMs: 10_000, headers: pad })).data), `re:${room}`);
    await assert.rejects(client.request('mux.size', new Uint8Array(room + 1), { timeoutMs: 10_000, headers: pad }), { ...tooBig, message: /the message is 1025 bytes/ });
    await assert.rejects(client.gather('mux.size', new Uint8Array(room + 1), { timeoutMs: 10_000, headers: pad }), { code: TransportErrorCode.UNSUPPORTED, message: /the message is 1025 bytes/ });
    await assert.rejects(client.request('mux.size here', enc('x'), { timeoutMs: 10_000 }), { code: TransportErrorCode.UNSUPPORTED, message: /white space/ });
    // A gather too (nats.js's requestMany path).
    await assert.rejects(client.gather('mux.size', new Uint8Array(alone + 1), { timeoutMs: 10_000 }), { code: TransportErrorCode.UNSUPPORTED, message: /^gather on mux\.size: the message is 1025 bytes, over the server's max_payload of 1024 bytes$/ });
    // The connection was never in question: the next request is answered.
    assert.equal(dec((await client.request('mux.size', enc('x'), { timeoutMs: 10_000 })).data), 're:1');
    await lane.unsubscribe();
    // Away, it is refused at once instead of waiting in the outbox to be refused on reconnect.
    const away = new Promise<void>((resolve) => {
      const off = client.on((e) => {
        if (e.type === 'status' && e.status === 'reconnecting') {
          off();
          resolve();
        }
      });
    });
    await server.halt();
    await away;
    await assert.rejects(client.request('mux.size', new Uint8Array(1025), { timeoutMs: 10_000 }), tooBig);
  } finally {
    await client.close();
    await responder.close();
    await server.stop();
  }
});

void test("nats: the server's max_payload is kept while reconnecting (nats.js forgets it when it dials again): an oversize request is still refused at once", async () => {
  const server = await startNatsServer({ maxPayloadBytes: 1024 });
  const relay = await startRelay(server.port);
  const client = await createDriver('nats', { urls: [relay.url(server.url)] });
  try {
    await client.connect();
    const dialled = relay.accepted;
    // The link breaks and the server is gone: nats.js dials again through the relay and gets no INFO.
    await server.halt();
    await waitStatus(client, 'reconnecting');
    await relay.accepting(dialled + 1);
    assert.equal(client.maxPayloadBytes, 1024);
    await assert.rejects(client.request('mux.size', new Uint8Array(1025), { timeoutMs: 2_000 }), {
      code: TransportErrorCode.UNSUPPORTED,
      message: /the message is \d+ bytes, over the server's max_payload of 1024 bytes$/,
    });
    await assert.rejects(client.gather('mux.size', new Uint8Array(1025), { timeoutMs: 2_000 }), { code: TransportErrorCode.UNSUPPORTED });
    assert.equal(client.stats().pending, 0, 'nothing waits in the outbox to be refused on reconnect');
  } finally {
    await client.close();
    await relay.close();
    await server.stop();
  }
});
