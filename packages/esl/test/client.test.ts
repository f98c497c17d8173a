import { strict as assert } from 'node:assert';
import { Socket } from 'node:net';
import { test } from 'node:test';
import {
  EslAbortError,
  EslAuthError,
  EslClient,
  EslClosedError,
  EslConnectError,
  EslInvalidArgumentError,
  EslQueueFullError,
  EslRejectedError,
  EslServer,
  EslTimeoutError,
  MAX_TIMER_MS,
  type EslClientStatus,
} from '../src/index.js';
import { bounded, ScriptedPeer, type ReceivedCommand, type PeerConn } from './support/scripted-peer.js';

async function withPeer(
  fn: (peer: ScriptedPeer) => Promise<void>,
  onCommand?: (cmd: ReceivedCommand, conn: PeerConn) => void,
  options: { password?: string; autoAuth?: boolean } = {},
): Promise<void> {
  const peer = await ScriptedPeer.start({ ...options, ...(onCommand ? { onCommand } : {}) });
  try {
    await fn(peer);
  } finally {
    await peer.close();
  }
}

/**
 * Calls `onWrite` with the data of every `socket.write` made towards `port` until the returned
 * function restores `Socket.prototype.write`.
 */
function spyWrites(port: number, onWrite: (data: unknown) => void): () => void {
  const proto = Socket.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored below, called with its socket
  const original = proto.write;
  proto.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    if (this.remotePort === port) onWrite(args[0]);
    return original.apply(this, args);
  } as Socket['write'];
  return () => {
    proto.write = original;
  };
}

/** Answers `api x` with `x`'s echo, like `api echo`. */
function echoApi(cmd: ReceivedCommand, conn: PeerConn): void {
  if (cmd.line.startsWith('api ')) conn.apiResponse(cmd.line.slice(4));
  else if (cmd.line === 'exit') {
    conn.reply('+OK bye');
    conn.disconnectNotice();
    conn.end();
  } else conn.reply('+OK');
}

void test('connects, authenticates with auth, reports status transitions, closes with exit', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false });
    const statuses: EslClientStatus[] = [];
    client.on('status', (s) => statuses.push(s));
    assert.equal(client.status, 'idle');
    await client.connect();
    assert.equal(client.status, 'ready');
    const conn = peer.connections[0]!;
    assert.equal(conn.received[0]!.line, 'auth ClueCon');
    assert.equal(await client.api('status'), 'status');
    await client.close();
    assert.equal(conn.received.at(-1)!.line, 'exit');
    assert.deepEqual(statuses, ['connecting', 'ready', 'closed']);
    assert.equal(client.status, 'closed');
    await assert.rejects(client.api('status'), EslClosedError);
  }, echoApi);
});

void test('a wrong password rejects connect with EslAuthError and does not reconnect', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, password: 'nope' });
    const err = await client.connect().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof EslAuthError);
    assert.match(err.message, /-ERR invalid/);
    assert.equal(err.code, 'FSBUS_ERR_ESL_AUTH');
    assert.equal(client.status, 'disconnected');
    assert.equal(peer.connections.length, 1);
    await client.close();
  });
});

void test('userauth sends user:password', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, user: '1000@default', password: 'secret', reconnect: false });
    await client.connect();
    assert.equal(peer.connections[0]!.received[0]!.line, 'userauth 1000@default:secret');
    await client.close();
  }, echoApi, { password: 'secret' });
});

void test('a rude rejection rejects connect with EslRejectedError', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false });
    const connecting = client.connect();
    const conn = await peer.nextConnection();
    conn.frame([['Content-Type', 'text/rude-rejection']], 'Access Denied, go away.\n');
    conn.end();
    await assert.rejects(connecting, (e: unknown) => e instanceof EslRejectedError && /Access Denied/.test(e.message));
    await client.close();
  }, undefined, { autoAuth: false });
});

void test('connect to a closed port rejects EslConnectError; a silent peer times out', async () => {
  const probe = await ScriptedPeer.start();
  const port = probe.port;
  await probe.close();
  const client = new EslClient({ port, reconnect: false });
  await assert.rejects(client.connect(), EslConnectError);
  await withPeer(async (peer) => {
    const silent = new EslClient({ port: peer.port, reconnect: false, connectTimeoutMs: 50 });
    await assert.rejects(silent.connect(), EslTimeoutError);
    await silent.close();
  }, undefined, { autoAuth: false });
});

void test('sets TCP_NODELAY on its socket', async () => {
  const calls: Array<{ socket: Socket; value: boolean | undefined }> = [];
  const proto = Socket.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, 'setNoDelay')!.value as (this: Socket, value?: boolean) => Socket;
  proto.setNoDelay = function (this: Socket, value?: boolean) {
    calls.push({ socket: this, value });
    return original.call(this, value);
  };
  try {
    await withPeer(async (peer) => {
      const client = new EslClient({ port: peer.port, reconnect: false });
      await client.connect();
      const mine = calls.filter((c) => c.socket.remotePort === peer.port);
      assert.ok(mine.length > 0, 'setNoDelay was not called on the client socket');
      assert.ok(mine.every((c) => c.value !== false));
      await client.close();
    }, echoApi);
  } finally {
    proto.setNoDelay = original;
  }
});

void test('pipelined requests leave in one write and resolve in order', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false });
    await client.connect();
    let writes = 0;
    const restore = spyWrites(peer.port, () => writes++);
    try {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.api(`echo ${i}`)));
      assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => `echo ${i}`));
    } finally {
      restore();
    }
    assert.equal(writes, 1, 'the 50 commands were not coalesced into one write');
    await client.close();
  }, echoApi);
});

void test("requests made one per nextTick or one per microtask (how broker clients hand over a read's messages) leave in one write", async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false });
    await client.connect();
    const writes: number[] = [];
    // Commands per write: each ends with an empty line.
    const restore = spyWrites(peer.port, (data) => writes.push(String(data).split('\n\n').length - 1));
    try {
      // mqtt.js: each message of a read in its own nextTick, the next one queued by the last.
      const byTick = await new Promise<Array<Promise<string>>>((resolve) => {
        const sent: Array<Promise<string>> = [];
        const step = (i: number): void => {
          sent.push(client.api(`echo tick ${i}`));
          if (i < 9) process.nextTick(step, i + 1);
          else resolve(sent);
        };
        process.nextTick(step, 0);
      });
      assert.deepEqual(await Promise.all(byTick), Array.from({ length: 10 }, (_, i) => `echo tick ${i}`));
      // An async iterator (zeromq): each message in its own microtask, after the one before.
      const byMicrotask: Array<Promise<string>> = [];
      await (async () => {
        for (let i = 0; i < 10; i++) {
          await Promise.resolve();
          byMicrotask.push(client.api(`echo micro ${i}`));
        }
      })();
      assert.deepEqual(await Promise.all(byMicrotask), Array.from({ length: 10 }, (_, i) => `echo micro ${i}`));
    } finally {
      restore();
    }
    assert.deepEqual(writes, [10, 10], 'each batch of 10 commands leaves in one write');
    await client.close();
  }, echoApi);
});

void test('a timed-out request keeps its slot: its late reply never resolves the next request', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false });
    await client.connect();
    const conn = peer.connections[0]!;
    conn.skipReceived();
    const first = client.api('first', { timeoutMs: 20 });
    const second = client.api('second');
    await assert.rejects(first, EslTimeoutError);
    assert.equal((await conn.nextCommand()).line, 'api first');
    assert.equal((await conn.nextCommand()).line, 'api second');
    conn.apiResponse('reply to first');
    conn.apiResponse('reply to second');
    assert.equal(await second, 'reply to second');
    assert.equal(client.stats.timeouts, 1);
    await client.close();
  }, (cmd, c) => {
    if (cmd.line === 'exit') c.reply('+OK bye');
  });
});

void test('an AbortSignal cancels a request (before sending: nothing is sent) and keeps the order', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false });
    await client.connect();
    const conn = peer.connections[0]!;
    conn.skipReceived();
    await assert.rejects(client.api('never', { signal: AbortSignal.abort() }), EslAbortError);
    const ac = new AbortController();
    const first = client.api('first', { signal: ac.signal });
    const second = client.api('second');
    assert.equal((await conn.nextCommand()).line, 'api first');
    ac.abort();
    await assert.rejects(first, (e: unknown) => e instanceof EslAbortError && e.code === 'FSBUS_ERR_ESL_ABORTED');
    conn.apiResponse('one');
    conn.apiResponse('two');
    assert.equal(await second, 'two');
    assert.equal((await conn.nextCommand()).line, 'api second', '"never" must not have been sent');
    await client.close();
  }, (cmd, c) => {
    if (cmd.line === 'exit') c.reply('+OK bye');
  });
});

void test('every pending request rejects EslClosedError when the socket drops', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false });
    await client.connect();
    const conn = peer.connections[0]!;
    conn.skipReceived();
    const pending = [client.api('a'), client.api('b'), client.bgapi('c')];
    await conn.nextCommand();
    conn.destroy();
    for (const p of pending) await assert.rejects(p, EslClosedError);
    assert.equal(client.status, 'disconnected');
    await client.close();
  });
});

void test('more than maxPending waiting requests reject EslQueueFullError', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false, maxPending: 2 });
    await client.connect();
    const conn = peer.connections[0]!;
    conn.skipReceived();
    const a = client.api('a');
    const b = client.api('b');
    await assert.rejects(client.api('c'), EslQueueFullError);
    conn.apiResponse('A');
    assert.equal(await a, 'A');
    const d = client.api('d');
    conn.apiResponse('B');
    conn.apiResponse('D');
    assert.deepEqual(await Promise.all([b, d]), ['B', 'D']);
    await client.close();
  }, (cmd, c) => {
    if (cmd.line === 'exit') c.reply('+OK bye');
  });
});

void test('commands that would break the framing are refused before sending', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false });
    await client.connect();
    await assert.rejects(client.api('status\n\nevent plain ALL'), EslInvalidArgumentError);
    await assert.rejects(client.sendRecv('noevents\nfoo'), EslInvalidArgumentError);
    await assert.rejects(client.filter('Unique-ID', 'x\ny'), EslInvalidArgumentError);
    await assert.rejects(client.sendmsg('uuid', { callCommand: 'execute', headers: { 'execute-app-name': 'a\nb' } }), EslInvalidArgumentError);
    assert.equal(peer.connections[0]!.received.length, 1, 'only auth was sent');
    await client.close();
  }, echoApi);
});

void test('control commands reject -ERR with EslCommandError; sendRecv and api return it', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port, reconnect: false });
    await client.connect();
    await assert.rejects(client.linger(), (e: unknown) => e instanceof Error && 'reply' in e && e.reply === '-ERR not controlling a session');
    const raw = await client.sendRecv('linger');
    assert.equal(raw.kind === 'command-reply' && raw.replyText, '-ERR not controlling a session');
    assert.equal(await client.api('no_such'), '-ERR no_such Command not found!\n');
    await client.close();
  }, (cmd, c) => {
    if (cmd.line === 'linger') c.reply('-ERR not controlling a session');
    else if (cmd.line === 'api no_such') c.apiResponse('-ERR no_such Command not found!\n');
    else if (cmd.line === 'exit') c.reply('+OK bye');
  });
});

void test('close() while connecting rejects connect with EslClosedError; exit() closes without reconnecting', async () => {
  await withPeer(async (peer) => {
    const client = new EslClient({ port: peer.port });
    const connecting = client.connect();
    await peer.nextConnection();
    const closing = client.close();
    await assert.rejects(connecting, EslClosedError);
    await closing;
    assert.equal(client.status, 'closed');

    const again = new EslClient({ port: peer.port, reconnect: { initialDelayMs: 1, jitter: 0 } });
    const statuses: EslClientStatus[] = [];
    again.on('status', (s) => statuses.push(s));
    const conn = peer.nextConnection();
    // The greeting of the silent peer connection comes from the test, then auth is answered.
    const connected = again.connect();
    const c = await conn;
    c.frame([['Content-Type', 'auth/request']]);
    assert.equal((await c.nextCommand()).line, 'auth ClueCon');
    c.reply('+OK accepted');
    await connected;
    const exit = again.exit();
    assert.equal((await c.nextCommand()).line, 'exit');
    c.reply('+OK bye');
    c.disconnectNotice();
    c.end();
    assert.equal((await exit).replyText, '+OK bye');
    await c.closed;
    await bounded(new Promise<void>((resolve) => (again.status === 'closed' ? resolve() : again.on('status', (s) => s === 'closed' && resolve()))), 'closed');
    assert.deepEqual(statuses, ['connecting', 'ready', 'closed']);
    assert.equal(peer.connections.length, 2);
    await again.close();
  }, undefined, { autoAuth: false });
});

void test('a timeoutMs over setTimeout\'s limit (2^31-1 ms) rejects EslInvalidArgumentError before anything is sent; 0 and Infinity still wait', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: (cmd, conn) => (cmd.line.startsWith('api ') ? conn.apiResponse('+OK') : conn.reply('+OK')) });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, livenessMs: false });
  t.after(() => client.close());
  await client.connect();
  const conn = peer.connections[0]!;
  const before = conn.received.length;
  const over = { timeoutMs: MAX_TIMER_MS + 1 };
  await assert.rejects(client.api('status', over), EslInvalidArgumentError);
  await assert.rejects(client.sendRecv('noevents', over), EslInvalidArgumentError);
  await assert.rejects(client.bgapi('status', over), EslInvalidArgumentError);
  await assert.rejects(client.execute('u1', 'answer', undefined, over), EslInvalidArgumentError);
  await assert.rejects(client.api('status', { timeoutMs: -1 }), EslInvalidArgumentError);
  await assert.rejects(client.api('status', { timeoutMs: Number.NaN }), EslInvalidArgumentError);
  assert.equal(await client.api('status', { timeoutMs: 0 }), '+OK');
  assert.equal(await client.api('status', { timeoutMs: Number.POSITIVE_INFINITY }), '+OK');
  assert.equal(await client.api('status', { timeoutMs: MAX_TIMER_MS }), '+OK');
  assert.deepEqual(conn.received.slice(before).map((c) => c.line), ['api status', 'api status', 'api status'], 'nothing sent for the rejected ones');
  assert.equal(client.stats.timeouts, 0);
  for (const options of [{ requestTimeoutMs: 2 ** 31 }, { connectTimeoutMs: 2 ** 31 }]) {
    assert.throws(() => new EslClient(options), EslInvalidArgumentError);
    assert.throws(() => new EslServer(options), EslInvalidArgumentError);
  }
});
