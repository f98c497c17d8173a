/**
 * ZeroMQ failures that must be said, not waited out:
 *  - a request whose frame the client's bounded send queue drops (or whose DEALER send fails)
 *    can never be answered: it fails at once, typed (FSBUS_ERR_TRANSPORT_BROKER, as the other
 *    drivers' unsendable requests), and the drop is counted — not at its timeout;
 *  - flush() waits for this driver's subscriptions to reach the publishers at most
 *    connectTimeoutMs: when no publisher acknowledged them it rejects (TIMEOUT, naming them);
 *    when only some did, it resolves with a warning (the others get them when they connect).
 */
import { test, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { freePort } from '@fsbus/testkit';
import { createDriver, TransportError, TransportErrorCode, type Driver, type DriverLogger, type DriverOptions, type Lane, type ServeHandler } from '@fsbus/transport';
import type { Writable } from 'zeromq';
import { ZmqWriter } from '../src/drivers/zmq/zmq-writer.js';
import { dec, enc, waitStatus, within } from './conformance/helpers.js';

async function endpoint(): Promise<string> {
  return `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
}

/** A logger that keeps the warnings. */
function warnings(): { logger: DriverLogger; warned: Array<{ msg: string; obj: object }> } {
  const warned: Array<{ msg: string; obj: object }> = [];
  const quiet = () => undefined;
  return { warned, logger: { debug: quiet, info: quiet, error: quiet, warn: (obj, msg = '') => void warned.push({ msg, obj }) } };
}

/** How a promise ended, and when (ms after `start`). */
async function outcome<T>(p: Promise<T>, start: number): Promise<{ ok: boolean; code?: string; ms: number }> {
  try {
    await p;
    return { ok: true, ms: performance.now() - start };
  } catch (err) {
    return { ok: false, code: (err as TransportError).code, ms: performance.now() - start };
  }
}

/**
 * An agent at `agentUrl` serving `subject` with `handler` and a client on `clientUrls`, both
 * connected, the lane bound; closed after the test.
 */
async function agentAndClient(
  t: TestContext,
  agentUrl: string,
  clientUrls: string[],
  clientOptions: Partial<DriverOptions>,
  lane: Lane,
  handler: ServeHandler,
): Promise<{ agent: Driver; client: Driver }> {
  const agent = await createDriver('zmq', { urls: [agentUrl], name: 'agent' });
  const client = await createDriver('zmq', { urls: clientUrls, name: 'client', ...clientOptions });
  t.after(async () => {
    await client.close();
    await agent.close();
  });
  await agent.connect();
  await client.connect();
  agent.serve(lane, handler);
  await agent.flush();
  return { agent, client };
}

void test('zmq: requests whose frames the client send queue drops fail at once with BROKER, counted; the others are answered', async (t) => {
  const url = await endpoint();
  // Room for two frames: with one send in progress, a burst of eight leaves five out.
  const { client } = await agentAndClient(t, url, [url], { bufferMessages: 2 }, { subject: 'faults.api', competing: true }, (req) => enc(`ok:${dec(req.data)}`));
  // The client learns the agent's lanes (and the link is up) before the burst.
  assert.equal(dec((await client.request('faults.api', enc('warm'), { timeoutMs: 10_000 })).data), 'ok:warm');
  const before = client.stats().dropped;
  const start = performance.now();
  // Issued in one turn: the writer's queue (2) overflows while the first frame is being sent.
  const burst = Array.from({ length: 8 }, (_, i) => outcome(client.request('faults.api', enc(String(i)), { timeoutMs: 30_000 }), start));
  const results = await within(Promise.all(burst), 10_000, 'a request whose frame was dropped waited for its timeout instead of failing at once');
  const dropped = client.stats().dropped - before;
  const failed = results.filter((r) => !r.ok);
  assert.ok(dropped > 0, 'the burst overflowed the send queue');
  assert.equal(failed.length, dropped, `every dropped frame fails its request (${JSON.stringify(results)})`);
  for (const f of failed) assert.equal(f.code, TransportErrorCode.BROKER);
  assert.equal(results.filter((r) => r.ok).length, 8 - dropped);
});

void test('zmq: a gather whose frame the client send queue drops fails at once with BROKER', async (t) => {
  const url = await endpoint();
  const { client } = await agentAndClient(t, url, [url], { bufferMessages: 1 }, { subject: 'faults.broadcast', competing: false }, () => enc('here'));
  assert.equal((await client.gather('faults.broadcast', enc('warm'), { timeoutMs: 10_000 })).length, 1);
  const start = performance.now();
  // One frame in the socket, one in the queue: the third pushes the second out.
  const gathers = [0, 1, 2].map((i) => outcome(client.gather('faults.broadcast', enc(String(i)), { timeoutMs: 30_000 }), start));
  const results = await within(Promise.all(gathers), 10_000, 'a gather whose frame was dropped waited for its timeout instead of failing at once');
  assert.deepEqual(
    results.map((r) => (r.ok ? 'ok' : r.code)),
    ['ok', TransportErrorCode.BROKER, 'ok'],
  );
});

void test('zmq writer: a send the socket refuses, or a frame pushed out of a full queue, reaches its unsent hook; unclaimed ones are counted', async () => {
  const refused = Object.assign(new Error('Host unreachable'), { code: 'EHOSTUNREACH' });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  // The first send waits until released, then every send fails.
  const socket = {
    send: async () => {
      if (calls++ === 0) await held;
      throw refused;
    },
  } as unknown as Writable;
  const { logger, warned } = warnings();
  const writer = new ZmqWriter(socket, 1, logger);
  const heard: Array<[string, string]> = [];
  const hook = (name: string, claim: boolean) => (err: unknown) => {
    heard.push([name, (err as Error).message]);
    return claim;
  };
  writer.write([Buffer.from('a')], hook('a', false)); // being sent (held), then refused
  writer.write([Buffer.from('b')], hook('b', false)); // queued, then pushed out by c
  writer.write([Buffer.from('c')], hook('c', true)); // sent after a, refused, claimed
  release();
  await writer.idle();
  assert.deepEqual(
    heard.map(([name]) => name),
    ['b', 'a', 'c'],
  );
  assert.match(heard[0]![1], /queue full/);
  assert.equal(heard[1]![1], 'Host unreachable');
  // a (refused) and b (pushed out) are counted; c was claimed by its hook.
  assert.equal(writer.dropped, 2);
  assert.equal(warned.filter((w) => w.msg === 'zmq send failed, dropped').length, 1);
});

void test('zmq: flush() rejects with TIMEOUT, naming the publishers, when an agent was reached but no publisher acknowledged the subscriptions', async (t) => {
  // The agent's commands port is right, its events port in the URL is not: the SUB reaches nobody.
  const commands = await freePort();
  const wrongEvents = await freePort();
  const { client } = await agentAndClient(
    t,
    `zmq://127.0.0.1:${commands}?events=${await freePort()}`,
    [`zmq://127.0.0.1:${commands}?events=${wrongEvents}`],
    { connectTimeoutMs: 1500 },
    { subject: 'faults.api', competing: true },
    () => enc('x'),
  );
  // The agent is reached (a round trip on the commands socket) before the subscription.
  assert.equal(dec((await client.request('faults.api', enc('warm'), { timeoutMs: 10_000 })).data), 'x');
  const sub = client.subscribe('faults.events.>', () => undefined);
  t.after(() => sub.unsubscribe());
  const start = performance.now();
  const flushed = await within(outcome(client.flush(), start), 10_000, 'flush() did not end within its bound');
  assert.equal(flushed.ok, false, `flush() resolved after ${Math.round(flushed.ms)} ms though no publisher saw the subscription`);
  assert.equal(flushed.code, TransportErrorCode.TIMEOUT);
  await assert.rejects(client.flush(), (err: unknown) => err instanceof TransportError && err.message.includes(`tcp://127.0.0.1:${wrongEvents}`));
});

void test('zmq: flush() before any agent is up resolves with a warning, and the events come once it is (a stream opened before its agent)', async (t) => {
  const url = await endpoint();
  const { logger, warned } = warnings();
  const client = await createDriver('zmq', { urls: [url], name: 'client', connectTimeoutMs: 300, logger });
  t.after(() => client.close());
  await client.connect();
  let arrived!: (subject: string) => void;
  const event = new Promise<string>((resolve) => (arrived = resolve));
  const sub = client.subscribe('faults.events.>', (m) => arrived(m.subject));
  t.after(() => sub.unsubscribe());
  await within(client.flush(), 10_000, 'flush() did not end within its bound');
  await within(client.flush(), 10_000, 'flush() did not end within its bound');
  const said = warned.filter((w) => w.msg.includes('did not reach every publisher'));
  // Said once for both flushes (once per burst), with what was missing; snake_case fields as every log line.
  assert.equal(said.length, 1, JSON.stringify(warned));
  const fields = said[0]!.obj as Record<string, unknown>;
  assert.deepEqual([fields['missing'], fields['of'], fields['bound_ms'], fields['unsettled_flushes']], [1, 1, 300, 1]);
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  t.after(() => agent.close());
  await agent.connect();
  agent.serve({ subject: 'faults.api', competing: true }, () => enc('x'));
  await agent.flush();
  // Published until the late subscription has reached the new publisher (ZeroMQ's slow joiner).
  const timer = setInterval(() => agent.publish('faults.events.late', enc('e')), 50);
  t.after(() => clearInterval(timer));
  assert.equal(await within(event, 10_000, 'the events never came once the agent was up'), 'faults.events.late');
});

void test('zmq: flush() resolves with a warning when only some publishers acknowledged the subscriptions; events from the others arrive', async (t) => {
  const up = await endpoint();
  const away = await endpoint();
  const { logger, warned } = warnings();
  // The bound is waited out in full (one publisher never answers): room for the other's handshake on a loaded machine.
  const { agent, client } = await agentAndClient(t, up, [up, away], { connectTimeoutMs: 3000, logger }, { subject: 'faults.api', competing: true }, () => enc('x'));
  let arrived!: (subject: string) => void;
  const event = new Promise<string>((resolve) => (arrived = resolve));
  const sub = client.subscribe('faults.events.>', (m) => arrived(m.subject));
  t.after(() => sub.unsubscribe());
  await within(client.flush(), 10_000, 'flush() did not end within its bound');
  const warning = warned.find((w) => w.msg.includes('subscriptions'));
  assert.ok(warning !== undefined, `a warning names the publishers that did not acknowledge (${JSON.stringify(warned)})`);
  assert.equal((warning.obj as { missing?: number }).missing, 1);
  agent.publish('faults.events.ping', enc('{}'));
  assert.equal(await within(event, 10_000, 'the event from the agent that is up never arrived'), 'faults.events.ping');
});

void test('zmq: requests to an agent never reached leave one HELLO waiting, not one each: flush() and close() still end, nothing counted lost, and the agent answers once up', async (t) => {
  const url = await endpoint();
  const client = await createDriver('zmq', { urls: [url], name: 'client', connectTimeoutMs: 300 });
  t.after(() => client.close());
  await client.connect();
  // Each request finding no lanes asks every agent again; past libzmq's high-water mark (1,000)
  // those HELLOs blocked the DEALER's send, and every flush() and close() behind it, for ever.
  const codes = await Promise.all(Array.from({ length: 1200 }, () => outcome(client.request('faults.api', enc('r'), { timeoutMs: 2_000 }), 0)));
  assert.deepEqual([...new Set(codes.map((c) => c.code))], [TransportErrorCode.NO_RESPONDERS]);
  await within(client.flush(), 10_000, 'flush() hung behind the HELLOs');
  assert.equal(client.stats().dropped, 0, 'a HELLO the socket refuses is no message lost');
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  t.after(() => agent.close());
  await agent.connect();
  agent.serve({ subject: 'faults.api', competing: true }, () => enc('served'));
  await agent.flush();
  assert.equal(dec((await client.request('faults.api', enc('r'), { timeoutMs: 10_000 })).data), 'served');
  await within(client.close(), 10_000, 'close() hung');
});

void test('zmq: requests to an agent that went away fail at once past the socket high-water mark (BROKER, counted) instead of blocking close()', async (t) => {
  const url = await endpoint();
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  const client = await createDriver('zmq', { urls: [url], name: 'client', connectTimeoutMs: 300 });
  t.after(() => client.close());
  await agent.connect();
  agent.serve({ subject: 'faults.api', competing: true }, () => enc('served'));
  await agent.flush();
  await client.connect();
  assert.equal(dec((await client.request('faults.api', enc('r'), { timeoutMs: 10_000 })).data), 'served');
  await agent.close();
  await waitStatus(client, 'reconnecting');
  // libzmq keeps what is sent to a peer it lost for its return, up to 1,000 messages; past that
  // the DEALER's send waited for ever, and close() behind it.
  const codes = await Promise.all(Array.from({ length: 1500 }, () => outcome(client.request('faults.api', enc('r'), { timeoutMs: 1_500 }), 0)));
  const refused = codes.filter((c) => c.code === TransportErrorCode.BROKER).length;
  assert.ok(refused >= 400, `refused at once: ${refused}`);
  assert.equal(client.stats().dropped, refused, 'each refused request is counted');
  await within(client.close(), 10_000, 'close() hung behind the queued requests');
});

void test('zmq: a message on the ROUTER that is not the fsbus wire (a 2-frame HELLO, another version) is counted as refused and logged, not ignored unseen; the next well-formed one is answered', async (t) => {
  const url = await endpoint();
  const { logger, warned } = warnings();
  const agent = await createDriver('zmq', { urls: [url], name: 'agent', logger });
  t.after(() => agent.close());
  await agent.connect();
  agent.serve({ subject: 'zf.api', competing: true }, () => enc('pong'));
  await agent.flush();
  const { Dealer } = await import('zeromq');
  const dealer = new Dealer({ linger: 0 });
  t.after(() => dealer.close());
  dealer.connect(`tcp://127.0.0.1:${new URL(url.replace('zmq://', 'http://')).port}`);
  await dealer.send([Buffer.from('FSB1'), Buffer.from('HELLO')]);
  await dealer.send([Buffer.from('FSB9'), Buffer.from('REQ'), Buffer.from('zf.api'), Buffer.from('1'), Buffer.alloc(0), Buffer.from('ping')]);
  // The ROUTER reads in order: the reply to this one means the two above were read.
  await dealer.send([Buffer.from('FSB1'), Buffer.from('REQ'), Buffer.from('zf.api'), Buffer.from('2'), Buffer.alloc(0), Buffer.from('ping')]);
  const [, kind, , corr, , payload] = await within(dealer.receive(), 10_000, 'the reply to the well-formed request');
  assert.deepEqual([kind?.toString(), corr?.toString(), dec(payload!)], ['REP', '2', 'pong']);
  assert.equal(agent.stats().requestsRefused, 2);
  const said = warned.filter((w) => w.msg.startsWith('zmq: a message that is not the fsbus wire'));
  assert.equal(said.length, 1, 'once per burst');
  assert.deepEqual(said[0]!.obj, { frames: 2, first: 'FSB1', kind: 'HELLO' });
});

void test('zmq writer: a message written just as the send loop ends is sent, at whatever microtask it comes', async () => {
  // The loop's end and its flag being cleared were microtasks apart: a write in between found the
  // loop "running", and sat in the queue until the next write (a reply held behind nothing).
  for (let ticks = 0; ticks < 12; ticks++) {
    const sent: string[] = [];
    const socket = { send: (frames: Buffer[]) => Promise.resolve(void sent.push(frames[0]!.toString())) } as unknown as Writable;
    const writer = new ZmqWriter(socket, 10);
    writer.write([Buffer.from('a')]);
    for (let i = 0; i < ticks; i++) await Promise.resolve();
    writer.write([Buffer.from('b')]);
    await writer.idle();
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, ['a', 'b'], `b written ${ticks} microtasks after a`);
    assert.equal(writer.pending, 0);
  }
});
