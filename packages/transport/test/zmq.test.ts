/**
 * The ZeroMQ driver is brokerless (mod_event_zmq's model). The shared conformance suite runs it as
 * a mesh (every driver binds its own endpoint and reaches the others through relays that the
 * outage cases cut, see conformance/zmq-mesh.ts). The cases below are ZeroMQ's own: the
 * agent/client topology (agents bind their first URL lazily, clients connect to the list), the
 * mod_event_zmq compatibility mode, bind conflicts.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Subscriber } from 'zeromq';
import { freePort } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { runConformance } from './conformance/suite.js';
import { startZmqMesh } from './conformance/zmq-mesh.js';

runConformance({
  driver: 'zmq',
  startBroker: () => startZmqMesh(),
  create: (options) => createDriver('zmq', options),
  relay: false,
  // PUB frames are [subject, payload], readable by any SUB socket: no headers (docs/drivers/zmq.md).
  subscribeHeaders: false,
});

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
    // This mode echoes no `$fsbus.sub.*` markers (its PUB carries events only): this SUB's
    // subscription reached the publisher once one of the probe events arrives.
    let arrived = false;
    const first = sub.receive().then(() => (arrived = true));
    const probe = enc(JSON.stringify({ event_name: 'CUSTOM', timestamp: 1, node_id: 'n1', uuid: null, headers: { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'probe' } }));
    while (!arrived) {
      pub.publish('freeswitch.events.custom.probe', probe);
      await pub.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await first;
    const payload = { event_name: 'CHANNEL_CREATE', timestamp: 1, node_id: 'n1', uuid: 'u1', headers: { 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': 'u1' }, body: 'hi' };
    pub.publish('freeswitch.events.channel.create', enc(JSON.stringify(payload)));
    for (;;) {
      const frames = await sub.receive();
      assert.equal(frames.length, 1);
      const event = JSON.parse(frames[0]!.toString()) as Record<string, string>;
      if (event['Event-Subclass'] === 'probe') continue;
      assert.deepEqual(event, { 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': 'u1', _body: 'hi' });
      break;
    }
  } finally {
    sub.close();
    await pub.close();
  }
});

void test('zmq agent/client topology: a competing lane runs each request once over two agents; replies come back', () =>
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

void test('zmq agent/client topology: forward hands a request to the node that serves the lane', () =>
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

void test('zmq agent/client topology: a client publish is a fire-and-forget command for the agents serving the lane', () =>
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

// libzmq closes a listener on its I/O thread after the socket's close(): without close() waiting
// for it, about one rebind in forty failed with "Address already in use" (70 of 3,000 here).
void test('zmq: close() resolves once the endpoint is free: a driver bound on it at once succeeds, 300 times', async () => {
  const url = await endpoint();
  for (let i = 0; i < 300; i++) {
    const d = await createDriver('zmq', { urls: [url], name: `rebind-${i}` });
    try {
      await d.connect();
      d.serve({ subject: 't.api', competing: true }, () => enc('x'));
      await d.flush();
    } finally {
      // A second close() (a shutdown path racing another) resolves only once the ports are free too.
      void d.close();
      await d.close();
    }
  }
});

void test('zmq mesh: a peer whose endpoint is taken fails connect() with a typed error', async () => {
  const own = `${await endpoint()}&bind`;
  const a = await createDriver('zmq', { urls: [own] });
  const b = await createDriver('zmq', { urls: [own] });
  try {
    await a.connect();
    await assert.rejects(b.connect(), { code: TransportErrorCode.CONNECT });
    assert.throws(() => a.subscribe('t.>', () => undefined, { queue: 'q' }), { code: TransportErrorCode.UNSUPPORTED });
  } finally {
    await a.close();
    await b.close();
  }
});

void test('zmq agent/client topology: a client is reconnecting while every agent is gone, connected once one is back', async () => {
  const url = await endpoint();
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  const client = await createDriver('zmq', { urls: [url], name: 'client' });
  let again: Driver | undefined;
  try {
    await agent.connect();
    await client.connect();
    agent.serve({ subject: 't.api', competing: true }, () => enc('one'));
    await agent.flush();
    assert.equal(dec((await client.request('t.api', enc('x'), { timeoutMs: 5000 })).data), 'one');
    await agent.close();
    await waitStatus(client, 'reconnecting');
    await assert.rejects(client.request('t.api', enc('stale'), { timeoutMs: 300 }), { code: TransportErrorCode.TIMEOUT });
    // The agent restarts on the same endpoint: the client reconnects by itself.
    again = await createDriver('zmq', { urls: [url], name: 'agent-again' });
    await again.connect();
    const ran: string[] = [];
    again.serve({ subject: 't.api', competing: true }, (req) => {
      ran.push(dec(req.data));
      return enc('two');
    });
    await again.flush();
    await waitStatus(client, 'connected');
    assert.equal(client.stats().reconnects, 1);
    assert.equal(dec((await client.request('t.api', enc('y'), { timeoutMs: 5000 })).data), 'two');
    // The request that timed out while no agent was there is not run late by the one that came back.
    assert.deepEqual(ran, ['y']);
    assert.equal(again.stats().expired, 1);
  } finally {
    await client.close();
    await agent.close();
    await again?.close();
  }
});

void test('zmq: unsubscribe() after the driver closed resolves and is a no-op (subscriptions and lanes)', async () => {
  const url = await endpoint();
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  const client = await createDriver('zmq', { urls: [url], name: 'client' });
  await agent.connect();
  await client.connect();
  const lane = agent.serve({ subject: 't.api', competing: true }, () => enc('one'));
  await agent.flush();
  const exact = client.subscribe('t.events.one', () => undefined);
  const wild = client.subscribe('t.events.>', () => undefined);
  await client.flush();
  await client.close();
  await agent.close();
  // The sockets are closed now: nothing may throw, synchronously or not.
  let pending: Promise<void>[] = [];
  assert.doesNotThrow(() => {
    pending = [exact.unsubscribe(), wild.unsubscribe(), lane.unsubscribe(), exact.unsubscribe()];
  });
  await Promise.all(pending);
});

void test('zmq mesh: a peer that binds sends fire-and-forget commands to the peer serving them, not out as events', async () => {
  const urlA = await endpoint();
  const urlB = await endpoint();
  const a = await createDriver('zmq', { urls: [`${urlA}&bind`, urlB], name: 'peerA' });
  const b = await createDriver('zmq', { urls: [urlA, `${urlB}&bind`], name: 'peerB' });
  try {
    await a.connect();
    await b.connect();
    const ran: string[] = [];
    let wake: (() => void) | undefined;
    const seen = (n: number) => new Promise<void>((resolve) => (wake = () => ran.length >= n && resolve())).then(() => undefined);
    for (const [subject, competing] of [['freeswitch.api', true], ['freeswitch.node.A', false]] as const) {
      a.serve({ subject, competing }, (req) => {
        ran.push(`${req.subject}:${dec(req.data)}`);
        wake?.();
        return req.expectsReply ? enc('ok') : undefined;
      });
    }
    // A request first: b has then learned a's lanes.
    assert.equal(dec((await b.request('freeswitch.api', enc('req'), { timeoutMs: 10_000 })).data), 'ok');
    const three = seen(3);
    assert.equal(b.publish('freeswitch.api', enc('ff-api')), 'sent');
    assert.equal(b.publish('freeswitch.node.A', enc('ff-node')), 'sent');
    await three;
    assert.deepEqual(ran, ['freeswitch.api:req', 'freeswitch.api:ff-api', 'freeswitch.node.A:ff-node']);
    assert.equal(b.stats().dropped, 0);
  } finally {
    await b.close();
    await a.close();
  }
});
