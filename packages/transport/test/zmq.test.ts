/**
 * The ZeroMQ driver is brokerless (mod_event_zmq's model): each serving driver binds its own
 * ROUTER + PUB, clients connect to the list. So the shared conformance cases run here with one
 * endpoint per server instead of one broker URL for all.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Subscriber } from 'zeromq';
import { freePort } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver, type InboundMessage } from '@fsbus/transport';
import { Collector, dec, enc } from './conformance/helpers.js';

async function endpoint(query = ''): Promise<string> {
  return `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}${query}`;
}

/** n serving drivers (own endpoints) and one client connected to all of them. */
async function cluster(n: number, fn: (servers: Driver[], client: Driver, urls: string[]) => Promise<void>): Promise<void> {
  const urls: string[] = [];
  const drivers: Driver[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const url = await endpoint();
      urls.push(url);
      const d = await createDriver('zmq', { urls: [url], name: `server-${i}` });
      await d.connect();
      drivers.push(d);
    }
    const client = await createDriver('zmq', { urls, name: 'client' });
    await client.connect();
    drivers.push(client);
    await fn(drivers.slice(0, n), client, urls);
  } finally {
    for (const d of drivers) await d.close();
  }
}

void test('zmq: publish reaches wildcard subscribers, in order; bad subjects are dropped and counted', () =>
  cluster(1, async ([pub], client) => {
    const got = new Collector<InboundMessage>();
    const other = new Collector<InboundMessage>();
    const s = client.subscribe('t.events.>', got.push);
    client.subscribe('t.events.*.create', other.push);
    // Publishing is for serving (bound) drivers: an agent serves its lanes first.
    pub!.serve({ subject: 't.api', competing: true }, () => undefined);
    await pub!.flush();
    await client.flush();
    for (let i = 0; i < 20; i++) assert.equal(pub!.publish(`t.events.e${i % 3}`, enc(String(i))), 'sent');
    pub!.publish('t.events.channel.create', enc('c'));
    const items = await got.until(21);
    assert.deepEqual(items.slice(0, 20).map((m) => dec(m.data)), Array.from({ length: 20 }, (_, i) => String(i)));
    assert.equal(items[1]!.subject, 't.events.e1');
    assert.deepEqual((await other.until(1)).map((m) => m.subject), ['t.events.channel.create']);
    const dropped = pub!.stats().dropped;
    assert.equal(pub!.publish('t.events.bad subject', enc('x')), 'dropped');
    assert.equal(pub!.stats().dropped, dropped + 1);
    await s.unsubscribe();
  }));

void test('zmq: mod_event_zmq mode publishes the bare FreeSWITCH JSON event as one frame', async () => {
  const url = await endpoint('&mode=mod_event_zmq');
  const pub = await createDriver('zmq', { urls: [url] });
  await pub.connect();
  const sub = new Subscriber({ linger: 0 });
  try {
    pub.serve({ subject: 'freeswitch.api', competing: true }, () => undefined);
    await pub.flush();
    sub.connect(`tcp://127.0.0.1:${new URL(url).searchParams.get('events')}`);
    sub.subscribe();
    // The driver echoes `$fsbus.sub.*` subscriptions (docs/drivers/zmq.md): once the echo is back,
    // this SUB's subscription reached the publisher and nothing published later is lost.
    sub.subscribe('$fsbus.sub.test');
    for (;;) {
      const [topic] = await sub.receive();
      if (topic?.toString() === '$fsbus.sub.test') break;
    }
    const payload = { event_name: 'CHANNEL_CREATE', timestamp: 1, node_id: 'n1', uuid: 'u1', headers: { 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': 'u1' }, body: 'hi' };
    pub.publish('freeswitch.events.channel.create', enc(JSON.stringify(payload)));
    const frames = await sub.receive();
    assert.equal(frames.length, 1);
    assert.deepEqual(JSON.parse(frames[0]!.toString()), { 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': 'u1', _body: 'hi' });
  } finally {
    sub.close();
    await pub.close();
  }
});

void test('zmq: a competing lane runs each request once over two agents; replies come back', () =>
  cluster(2, async ([a, b], client) => {
    const seen: string[][] = [[], []];
    for (const [i, d] of [a!, b!].entries()) {
      d.serve({ subject: 't.api', competing: true }, (req) => {
        seen[i]!.push(dec(req.data));
        return enc(`ok:${dec(req.data)}`);
      });
      await d.flush();
    }
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => client.request('t.api', enc(String(i)), { timeoutMs: 5000 })));
    assert.deepEqual(replies.map((r) => dec(r.data)), Array.from({ length: 30 }, (_, i) => `ok:${i}`));
    const all = [...seen[0]!, ...seen[1]!];
    assert.equal(all.length, 30);
    assert.equal(new Set(all).size, 30);
    assert.ok(seen[0]!.length > 0 && seen[1]!.length > 0, 'both agents took a share');
  }));

void test('zmq: forward hands a request to the node that serves the lane', () =>
  cluster(2, async ([front, back], client) => {
    front!.serve({ subject: 't.api', competing: true }, (req) => {
      req.forward('t.node.n2');
      return undefined;
    });
    back!.serve({ subject: 't.node.n2', competing: false }, (req) => enc(`n2 got ${dec(req.data)}`));
    await front!.flush();
    await back!.flush();
    assert.equal(dec((await client.request('t.api', enc('x'), { timeoutMs: 5000 })).data), 'n2 got x');
    assert.equal(dec((await client.request('t.node.n2', enc('y'), { timeoutMs: 5000 })).data), 'n2 got y');
  }));

void test('zmq: direct lanes reach the named agent only; large payloads cross intact', () =>
  cluster(2, async ([n1, n2], client) => {
    const got: string[] = [];
    for (const [id, d] of [['n1', n1!], ['n2', n2!]] as const) {
      d.serve({ subject: `t.node.${id}`, competing: false }, (req) => {
        got.push(`${id}:${req.data.byteLength}`);
        return Uint8Array.from(req.data).reverse();
      });
      await d.flush();
    }
    for (const size of [1, 65_536, 65_537, 256 * 1024]) {
      const body = Uint8Array.from({ length: size }, (_, i) => (i * 31) % 251);
      const r = await client.request('t.node.n2', body, { timeoutMs: 5000 });
      assert.deepEqual(Uint8Array.from(r.data), Uint8Array.from(body).reverse());
    }
    assert.equal(dec((await client.request('t.node.n1', enc('x'), { timeoutMs: 5000 })).data), 'x');
    assert.deepEqual(got, ['n2:1', 'n2:65536', 'n2:65537', `n2:${256 * 1024}`, 'n1:1']);
  }));

void test('zmq: gather collects one reply per agent', () =>
  cluster(3, async (servers, client) => {
    for (const [i, d] of servers.entries()) {
      d.serve({ subject: 't.broadcast', competing: false }, () => enc(`n${i}`));
      await d.flush();
    }
    const replies = await client.gather('t.broadcast', enc('?'), { timeoutMs: 5000, expect: 3 });
    assert.deepEqual(replies.map((r) => dec(r.data)).sort(), ['n0', 'n1', 'n2']);
    // Without `expect` it ends once every agent that serves the lane answered.
    assert.equal((await client.gather('t.broadcast', enc('?'), { timeoutMs: 5000 })).length, 3);
  }));

void test('zmq: request errors are typed (no responders, timeout, abort, unsupported)', () =>
  cluster(1, async ([server], client) => {
    await assert.rejects(client.request('t.nobody', enc('x'), { timeoutMs: 2000 }), { code: TransportErrorCode.NO_RESPONDERS });
    server!.serve({ subject: 't.silent', competing: true }, () => undefined);
    await server!.flush();
    await assert.rejects(client.request('t.silent', enc('x'), { timeoutMs: 300 }), { code: TransportErrorCode.TIMEOUT });
    const ac = new AbortController();
    const p = client.request('t.silent', enc('x'), { timeoutMs: 5000, signal: ac.signal });
    ac.abort();
    await assert.rejects(p, { code: TransportErrorCode.ABORTED });
    await assert.rejects(client.ensureStream({ name: 'X', subjects: ['t.>'] }), { code: TransportErrorCode.UNSUPPORTED });
    assert.throws(() => client.subscribe('t.>', () => undefined, { queue: 'q' }), { code: TransportErrorCode.UNSUPPORTED });
  }));

void test('zmq: a client publish is a fire-and-forget command for the agents serving the lane', () =>
  cluster(2, async (servers, client) => {
    const done = new Collector<string>();
    for (const [i, d] of servers.entries()) {
      d.serve({ subject: 't.cmd.async.>', competing: true }, (req) => {
        assert.equal(req.expectsReply, false);
        done.push(`${i}:${req.subject}=${dec(req.data)}`);
        return undefined;
      });
      await d.flush();
    }
    for (let i = 0; i < 10; i++) assert.equal(client.publish('t.cmd.async.job', enc(String(i))), 'sent');
    const items = await done.until(10);
    assert.equal(new Set(items.map((x) => x.split('=')[1])).size, 10);
    assert.ok(items.some((x) => x.startsWith('0:')) && items.some((x) => x.startsWith('1:')));
  }));

void test('zmq: a second driver binding the same endpoint fails flush with a typed error', async () => {
  const url = await endpoint();
  const a = await createDriver('zmq', { urls: [url] });
  const b = await createDriver('zmq', { urls: [url] });
  await a.connect();
  await b.connect();
  try {
    a.serve({ subject: 't.api', competing: true }, () => enc('a'));
    await a.flush();
    b.serve({ subject: 't.api', competing: true }, () => enc('b'));
    await assert.rejects(b.flush(), { code: TransportErrorCode.CONNECT });
  } finally {
    await a.close();
    await b.close();
  }
});
