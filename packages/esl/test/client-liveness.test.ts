// A FreeSWITCH that stops answering without closing the socket is noticed by the client's
// liveness probe (a no-op command) instead of TCP keepalive's ~12 minutes.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslClient, EslInvalidArgumentError, EslTimeoutError, LIVENESS_PROBE } from '../src/index.js';
import { bounded, eventWhere, ScriptedPeer, type PeerConn, type ReceivedCommand } from './support/scripted-peer.js';

/** Probes a connection received, and a waiter for the n-th. */
function probeLog(): { seen: PeerConn[]; onProbe(conn: PeerConn): void; next(n: number): Promise<void> } {
  const seen: PeerConn[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    seen,
    onProbe(conn) {
      seen.push(conn);
      for (const w of [...waiters]) {
        if (seen.length < w.n) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    next: (n) => (seen.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

void test('a peer that stops answering is given up after an unanswered probe, and the client reconnects', async (t) => {
  const probes = probeLog();
  // The first connection goes silent (a host gone without a FIN looks the same); the next one answers.
  const peer = await ScriptedPeer.start({
    onCommand: (cmd: ReceivedCommand, conn: PeerConn) => {
      if (cmd.line === LIVENESS_PROBE) {
        probes.onProbe(conn);
        if (conn !== peer.connections[0]) conn.reply('-ERR command not found');
        return;
      }
      conn.reply('+OK');
    },
  });
  t.after(() => peer.close());
  const lost: unknown[] = [];
  const client = new EslClient({
    port: peer.port,
    livenessMs: 50,
    reconnect: { initialDelayMs: 1, jitter: 0 },
    logger: { debug: () => undefined, info: () => undefined, warn: (fields, msg) => msg === 'esl connection lost' && lost.push(fields), error: () => undefined },
  });
  t.after(() => client.close());
  await client.connect();
  const reconnected = new Promise<void>((resolve) => client.on('status', (s) => s === 'ready' && resolve()));
  await bounded(reconnected, 'the reconnect after the unanswered probe');
  assert.equal(probes.seen[0], peer.connections[0], 'the silent connection was probed');
  assert.equal(peer.connections.length, 2);
  assert.match(JSON.stringify(lost[0]), /liveness probe after 50 ms of silence timed out/);
  // The new connection answers its probes, as FreeSWITCH answers an unknown command: it stays.
  const firstOnNew = probes.seen.length + 1;
  await bounded(probes.next(firstOnNew + 2), 'three probes answered on the new connection');
  assert.equal(client.status, 'ready');
  assert.equal(peer.connections.length, 2, 'no reconnect while probes are answered');
  assert.equal(client.stats.reconnects, 1);
});

void test('no probe while a reply is awaited: a long api answering late on a quiet connection is not taken for a dead peer', async (t) => {
  let held: PeerConn | undefined;
  let arrived!: () => void;
  const heldArrived = new Promise<void>((resolve) => (arrived = resolve));
  const probes = probeLog();
  const peer = await ScriptedPeer.start({
    onCommand: (cmd, conn) => {
      if (cmd.line === LIVENESS_PROBE) {
        probes.onProbe(conn);
        conn.reply('-ERR command not found');
      } else if (cmd.line === 'api originate slow') {
        held = conn;
        arrived();
      } else conn.reply('+OK');
    },
  });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, livenessMs: 20, reconnect: false });
  t.after(() => client.close());
  await client.connect();
  // Probes flow while idle; then one api is held for many periods.
  await bounded(probes.next(1), 'a probe while idle');
  const slow = client.api('originate slow', { timeoutMs: 0 });
  await bounded(heldArrived, 'the api at the peer');
  const before = probes.seen.length;
  // Many periods pass (each an idle check) while the api waits: count them by probes of a second, idle client.
  const other = new EslClient({ port: peer.port, livenessMs: 20, reconnect: false });
  t.after(() => other.close());
  await other.connect();
  await bounded(probes.next(before + 5), 'five probes of the idle client');
  held!.apiResponse('+OK abc');
  assert.equal(await slow, '+OK abc');
  assert.equal(probes.seen.slice(before).filter((c) => c === peer.connections[0]).length, 0, 'no probe behind the awaited reply');
  assert.equal(client.status, 'ready');
});

void test('a request that timed out does not stop the watch: a peer gone silent after it is probed and given up', async (t) => {
  const probes = probeLog();
  // Answers auth only: `api status` and the probes go unanswered, as on a host that vanished.
  const peer = await ScriptedPeer.start({
    onCommand: (cmd, conn) => {
      if (cmd.line === LIVENESS_PROBE) probes.onProbe(conn);
    },
  });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, livenessMs: 20, reconnect: false });
  t.after(() => client.close());
  await client.connect();
  const lost = eventWhere<string>(client, 'status', (s) => s === 'disconnected');
  await assert.rejects(client.api('status', { timeoutMs: 1 }), EslTimeoutError);
  assert.equal(client.pending, 1, 'the timed-out api keeps its slot');
  await bounded(lost, 'the connection given up after the unanswered probe');
  assert.equal(probes.seen[0], peer.connections[0], 'probed behind the timed-out api');
});

void test('a probe behind a timed-out request: the late reply is consumed by its own slot, the probe answer by the probe', async (t) => {
  const probes = probeLog();
  let held: PeerConn | undefined;
  const peer = await ScriptedPeer.start({
    onCommand: (cmd, conn) => {
      if (cmd.line === 'api originate slow') held = conn;
      else if (cmd.line === LIVENESS_PROBE) {
        // FreeSWITCH answers in order: the slow api first, then the probe.
        held?.apiResponse('+OK late');
        conn.reply('-ERR command not found');
        probes.onProbe(conn);
      } else conn.reply(`+OK ${cmd.line}`);
    },
  });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, livenessMs: 200, reconnect: false });
  t.after(() => client.close());
  await client.connect();
  await assert.rejects(client.api('originate slow', { timeoutMs: 1 }), EslTimeoutError);
  await bounded(probes.next(1), 'the probe behind the timed-out api');
  assert.equal(held, peer.connections[0]);
  assert.equal(await client.sendRecv('next').then((r) => (r.kind === 'command-reply' ? r.replyText : r.body)), '+OK next');
  assert.equal(client.status, 'ready');
  assert.equal(peer.connections.length, 1);
  assert.equal(client.pending, 0);
});

void test('livenessMs is checked', () => {
  assert.throws(() => new EslClient({ livenessMs: 0 }), EslInvalidArgumentError);
  assert.throws(() => new EslClient({ livenessMs: 2 ** 31 }), EslInvalidArgumentError);
  assert.doesNotThrow(() => new EslClient({ livenessMs: false }));
});
