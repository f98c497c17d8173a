import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { backoffDelay, EslClient, EslClosedError, EslProtocolError, type CommandReplyFrame, type EslClientStatus } from '../src/index.js';
import { bounded, eventWhere, nextEvent, ScriptedPeer, type PeerConn, type ReceivedCommand } from './support/scripted-peer.js';

/** Replies like FreeSWITCH would, except to `api hang` (never answered). */
function okAll(cmd: ReceivedCommand, conn: PeerConn): void {
  if (cmd.line === 'api hang') return;
  if (cmd.line.startsWith('api ')) conn.apiResponse(`${cmd.line.slice(4)} on ${conn.socket.localPort}:${conn.socket.remotePort}`);
  else if (cmd.line === 'exit') {
    conn.reply('+OK bye');
    conn.end();
  } else conn.reply('+OK');
}

const FAST = { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 };

void test('backoff grows exponentially up to the cap, with jitter either way', () => {
  const none = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, none)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(backoffDelay(0, { initialDelayMs: 100, jitter: 0.2 }, () => 0), 80);
  assert.equal(backoffDelay(0, { initialDelayMs: 100, jitter: 0.2 }, () => 1), 120);
});

void test('after a lost connection: re-auth, then subscription, filters, log level, myevents, divert — in that order', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: FAST });
  t.after(() => client.close());
  const statuses: EslClientStatus[] = [];
  client.on('status', (s) => statuses.push(s));
  await client.connect();
  const first = await peer.nextConnection();
  await client.events('json', ['CHANNEL_ANSWER', 'CUSTOM', 'sofia::register']);
  await client.nixevent(['CHANNEL_ANSWER']);
  await client.events('json', ['CHANNEL_HANGUP']);
  await client.filter('Unique-ID', 'abc');
  await client.filter('Unique-ID', 'def');
  await client.filterDelete('Unique-ID', 'def');
  await client.log('debug');
  await client.myevents('u-1');
  await client.divertEvents(true);
  first.skipReceived();
  assert.equal(client.pending, 0);
  const pending = client.api('hang');
  await first.nextCommand();
  assert.equal(client.pending, 1);
  const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
  first.destroy();
  await assert.rejects(pending, EslClosedError);
  assert.equal(client.pending, 0, 'a lost socket takes its waiting requests with it');
  await bounded(ready, 'the reconnect');
  assert.equal(client.pending, 0);
  const second = await peer.nextConnection();
  assert.deepEqual(second.received.map((c) => c.line), [
    'auth ClueCon',
    // CUSTOM last: FreeSWITCH takes every word after it for a subclass.
    'event json CHANNEL_HANGUP CUSTOM sofia::register',
    'filter Unique-ID abc',
    'log debug',
    'myevents u-1 json',
    'divert_events on',
  ]);
  assert.deepEqual(statuses, ['connecting', 'ready', 'disconnected', 'reconnecting', 'ready']);
  assert.equal(client.stats.reconnects, 1);
  assert.match(await client.api('status'), new RegExp(`status on ${peer.port}:`));
  await client.close();
  await peer.close();
});

void test('subscribing again on every "ready" (as fsbus-agent does): the re-apply answers it, each command goes once per reconnect', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: FAST });
  t.after(() => client.close());
  let again: Promise<CommandReplyFrame[]> | undefined;
  client.on('status', (s) => {
    if (s === 'ready') again = Promise.all([client.events('json', ['CHANNEL_ANSWER', 'CUSTOM', 'sofia::register']), client.filter('Unique-ID', 'abc'), client.log('debug')]);
  });
  const reconnect = async (): Promise<string[]> => {
    const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
    peer.connections.at(-1)!.destroy();
    await bounded(ready, 'the reconnect');
    const replies = await bounded(again!, 'the subscription asked for on ready');
    assert.ok(replies.every((r) => r.ok));
    await client.api('status'); // answered after everything before it
    return peer.connections.at(-1)!.received.map((c) => c.line);
  };
  await client.connect();
  await bounded(again!, 'the first subscription');
  const replayed = ['auth ClueCon', 'event json CHANNEL_ANSWER CUSTOM sofia::register', 'filter Unique-ID abc', 'log debug', 'api status'];
  assert.deepEqual(await reconnect(), replayed);
  // The replay did not grow either (one more filter per reconnect, before).
  assert.deepEqual(await reconnect(), replayed);
  // What changes the state is sent: a new name, another format, a new filter.
  await client.events('json', ['CHANNEL_ANSWER', 'CHANNEL_HANGUP']);
  await client.events('plain', ['CHANNEL_HANGUP']);
  await client.filter('Unique-ID', 'def');
  // Once a change was sent, nothing more is answered from the re-apply (a state about to change):
  // this one goes out too, unchanged in effect.
  await client.log('debug');
  assert.deepEqual(peer.connections.at(-1)!.received.slice(replayed.length).map((c) => c.line), [
    'event json CHANNEL_ANSWER CHANNEL_HANGUP',
    'event plain CHANNEL_HANGUP',
    'filter Unique-ID def',
    'log debug',
  ]);
  await client.close();
  await peer.close();
});

void test('filter delete as FreeSWITCH does it (header names in any case, ALL in any case): the deleted filters are not replayed', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: FAST });
  t.after(() => client.close());
  await client.connect();
  const replayed = async (): Promise<string[]> => {
    const conn = peer.connections.at(-1)!;
    const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
    conn.destroy();
    await bounded(ready, 'the reconnect');
    await client.api('status'); // answered after everything the reconnect replayed
    return peer.connections.at(-1)!.received.map((c) => c.line).filter((l) => l.startsWith('filter '));
  };
  await client.events('plain', ['ALL']);
  await client.filter('Unique-ID', 'abc');
  await client.filter('Event-Name', 'CUSTOM');
  await client.filter('Caller-Context', 'default');
  await client.filterDelete('unique-id', 'abc');
  await client.filterDelete('EVENT-NAME');
  assert.deepEqual(await replayed(), ['filter Caller-Context default']);
  await client.filterDelete('ALL');
  assert.deepEqual(await replayed(), []);
  await client.close();
  await peer.close();
});

void test('malformed bytes: an "error" with EslProtocolError, the counter, then a reconnect — no crash', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: FAST });
  t.after(() => client.close());
  await client.connect();
  const first = await peer.nextConnection();
  const error = nextEvent<[Error]>(client, 'error');
  const reconnected = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
  first.write('Content-Length: not a number\n\n');
  const [err] = await bounded(error, 'the protocol error');
  assert.ok(err instanceof EslProtocolError);
  assert.equal(err.code, 'FSBUS_ERR_ESL_PROTOCOL');
  await bounded(reconnected, 'the reconnect');
  assert.equal(client.stats.protocolErrors, 1);
  assert.equal(peer.connections.length, 2);
  assert.match(await client.api('status'), /^status on/);
  await client.close();
  await peer.close();
});

void test('bytes glued to the front of a reply (no Content-Type left): out of step, so the requests fail and it reconnects — no reply goes to the wrong request', async (t) => {
  // "\x00\x01" + `Content-Type: api/response…` reads as a header named "\x00\x01Content-Type":
  // the frame is complete but cannot be told apart from an event, and had it been passed on as an
  // unknown frame the reply queue would be one behind for good (the next reply to this request).
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: FAST });
  t.after(() => client.close());
  const errors: Error[] = [];
  client.on('error', (err) => errors.push(err));
  await client.connect();
  const conn = await peer.nextConnection();
  conn.skipReceived();
  const reconnected = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
  const one = client.api('hang', { timeoutMs: 10_000 });
  const two = client.api('hang', { timeoutMs: 10_000 });
  await conn.nextCommand();
  await conn.nextCommand();
  conn.write('\x00\x01');
  conn.apiResponse('one');
  conn.apiResponse('two');
  const settled = await Promise.allSettled([one, two]);
  assert.deepEqual(settled.map((s) => s.status === 'rejected' && s.reason instanceof EslClosedError), [true, true], JSON.stringify(settled));
  assert.ok(errors[0] instanceof EslProtocolError && /Content-Type/.test(errors[0].message), String(errors[0]));
  assert.equal(client.stats.protocolErrors, 1);
  await bounded(reconnected, 'the reconnect');
  assert.match(await client.api('status'), /^status on/);
  await client.close();
  await peer.close();
});

void test('a bad event body is reported and counted; the connection stays up', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: FAST });
  t.after(() => client.close());
  await client.connect();
  const conn = await peer.nextConnection();
  const error = nextEvent<[Error]>(client, 'error');
  conn.frame([['Content-Type', 'text/event-json']], '{"Event-Name": ');
  const [err] = await bounded(error, 'the decode error');
  assert.ok(err instanceof EslProtocolError);
  assert.equal(client.stats.protocolErrors, 1);
  assert.match(await client.api('status'), /^status on/);
  assert.equal(peer.connections.length, 1);
  assert.equal(client.status, 'ready');
  await client.close();
  await peer.close();
});

void test('bad event bodies in a burst: one line at once, the rest summed up in one line at close', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const lines: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (fields: object, msg: string) => void lines.push({ fields: fields as Record<string, unknown>, msg }) };
  const client = new EslClient({ port: peer.port, reconnect: FAST, logger });
  t.after(() => client.close());
  client.on('error', () => undefined);
  await client.connect();
  const conn = await peer.nextConnection();
  for (let i = 0; i < 3; i++) conn.frame([['Content-Type', 'text/event-json']], '{"Event-Name": ');
  assert.match(await client.api('status'), /^status on/); // answered after the three bad frames
  assert.equal(client.stats.protocolErrors, 3);
  assert.deepEqual(lines.map((l) => [l.msg, l.fields['suppressed']]), [['protocol error', undefined]]);
  await client.close();
  assert.deepEqual(lines.map((l) => [l.msg, l.fields['suppressed']]), [['protocol error', undefined], ['protocol error', 2]]);
  await peer.close();
});

void test('random bytes never crash the client and never leave a request hanging', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: false });
  t.after(() => client.close());
  client.on('error', () => undefined);
  await client.connect();
  const conn = await peer.nextConnection();
  conn.skipReceived();
  const pending = client.api('hang');
  await conn.nextCommand();
  let seed = 7;
  const bytes = Buffer.alloc(4096, 0).map(() => (seed = (seed * 1103515245 + 12345) & 0xff));
  conn.write(Buffer.concat([Buffer.from('Content-Type: api/response\nContent-Length: 99999999999\n\n'), bytes]));
  await assert.rejects(pending, EslClosedError);
  assert.equal(client.status, 'disconnected');
  await client.close();
  await peer.close();
});

void test('a disconnect-notice followed by a close triggers a reconnect; close() while reconnecting stops it', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: { initialDelayMs: 60_000, jitter: 0 } });
  t.after(() => client.close());
  await client.connect();
  const conn = await peer.nextConnection();
  const notice = nextEvent(client, 'disconnect-notice');
  const reconnecting = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'reconnecting');
  conn.disconnectNotice();
  conn.end();
  await bounded(notice, 'the notice');
  await bounded(reconnecting, 'reconnecting');
  await client.close();
  assert.equal(client.status, 'closed');
  assert.equal(peer.connections.length, 1);
  await peer.close();
});

void test('failed reconnect attempts back off and retry until FreeSWITCH is back', async (t) => {
  const first = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => first.close());
  const port = first.port;
  const failures: unknown[] = [];
  let onFailure: (() => void) | undefined;
  const client = new EslClient({ port, reconnect: { initialDelayMs: 1, maxDelayMs: 10, jitter: 0 } });
  client.on('reconnect-failed', (err) => {
    failures.push(err);
    onFailure?.();
  });
  t.after(() => client.close());
  await client.connect();
  await client.events('plain', ['HEARTBEAT']);
  const twoFailures = new Promise<void>((resolve) => {
    onFailure = () => {
      if (failures.length >= 2) resolve();
    };
  });
  await first.close(); // drops the client and stops listening
  await bounded(twoFailures, 'two failed attempts');
  assert.ok(failures.every((e) => e instanceof Error && 'code' in e && e.code === 'FSBUS_ERR_ESL_CONNECT'));
  const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
  const second = await ScriptedPeer.start({ onCommand: okAll, port });
  t.after(() => second.close());
  await bounded(ready, 'the reconnect');
  const conn = await second.nextConnection();
  assert.deepEqual(conn.received.map((c) => c.line), ['auth ClueCon', 'event plain HEARTBEAT']);
  assert.equal(client.stats.reconnects, 1);
  await client.close();
  await second.close();
});

void test('close() during a reconnect attempt, then connect() at once: the stale attempt neither changes the status nor reconnects', async (t) => {
  // The reconnect's connection (the second) gets no greeting: close() finds it mid-handshake.
  const peer = await ScriptedPeer.start({
    autoAuth: false,
    onCommand: (cmd, conn) => (cmd.line === 'auth ClueCon' ? conn.reply('+OK accepted') : okAll(cmd, conn)),
  });
  t.after(() => peer.close());
  const stuck = new Promise<PeerConn>((resolve) => {
    void (async () => {
      for (let i = 0; ; i++) {
        const conn = await peer.nextConnection();
        if (i === 1) resolve(conn);
        else conn.frame([['Content-Type', 'auth/request']]);
      }
    })();
  });
  const client = new EslClient({ port: peer.port, livenessMs: false, reconnect: FAST });
  t.after(() => client.close());
  await client.connect();
  peer.connections[0]!.destroy();
  await bounded(stuck, 'the reconnect attempt at the peer');
  await client.close();
  const statuses: EslClientStatus[] = [];
  client.on('status', (s) => statuses.push(s));
  await client.connect();
  assert.deepEqual(statuses, ['connecting', 'ready']);
  assert.match(await client.api('status'), /^status on/);
  assert.equal(peer.connections.length, 3, 'no connection but the one connect() opened');
  assert.deepEqual(statuses, ['connecting', 'ready']);
  assert.equal(client.stats.reconnects, 0);
});

// A caller deciding whether a retry is safe: a request the client refused before writing it never
// reached FreeSWITCH; one lost while it waited for its answer may have run.
void test('EslClosedError says whether the request was written: unsent false when lost pending, true when refused while disconnected', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: false });
  t.after(() => client.close());
  client.on('error', () => undefined);
  await client.connect();
  const conn = await peer.nextConnection();
  conn.skipReceived();
  const pending = client.api('hang');
  await conn.nextCommand();
  const closed = eventWhere<EslClientStatus>(client, 'status', (s) => s !== 'ready');
  conn.destroy();
  await assert.rejects(pending, (err: unknown) => err instanceof EslClosedError && !err.unsent);
  await closed;
  await assert.rejects(client.api('status'), (err: unknown) => err instanceof EslClosedError && err.unsent);
});
