/**
 * EslServer's own bookkeeping of its sessions must not hang on the session's public listeners,
 * and a handshake whose reply names no channel makes no session. The peer is a raw socket
 * playing FreeSWITCH's side, as in server-limits.test.ts.
 */
import { strict as assert } from 'node:assert';
import { test, type TestContext } from 'node:test';
import { EslServer, encodeFrame, type EslSession } from '../src/index.js';
import { bounded, nextEvent } from './support/scripted-peer.js';
import { connectReply, rawPeer } from './support/raw-outbound-peer.js';

async function listening(t: TestContext): Promise<{ server: EslServer; port: number; errors: Error[] }> {
  const server = new EslServer({ port: 0, connectTimeoutMs: 0 });
  const errors: Error[] = [];
  server.on('error', (err) => errors.push(err));
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port, errors };
}

void test('EslServer: a session whose listeners the app removed (removeAllListeners, a modesl habit) still leaves server.sessions when it closes', async (t) => {
  const { server, port } = await listening(t);
  const peers = [rawPeer(t, port), rawPeer(t, port)];
  await bounded(Promise.all(peers.map((p) => p.asked)), 'the connect commands');
  const sessions: EslSession[] = [];
  for (const [i, peer] of peers.entries()) {
    const sessionP = nextEvent<[EslSession]>(server, 'session');
    peer.socket.write(connectReply(`chan-${i}`));
    sessions.push((await bounded(sessionP, `session ${i}`))[0]);
  }
  assert.equal(server.sessions.size, 2);
  for (const [i, session] of sessions.entries()) {
    session.removeAllListeners();
    const closed = nextEvent(session, 'close');
    let stillListed: boolean | undefined;
    session.on('close', () => (stillListed = server.sessions.has(session)));
    // One closed by the app, one by the peer (FreeSWITCH ending the call).
    if (i === 0) session.destroy();
    else peers[i]!.socket.destroy();
    await bounded(closed, `session ${i} closed`);
    assert.equal(stillListed, false, 'gone from server.sessions by the time its close is emitted');
  }
  assert.equal(server.sessions.size, 0, 'every closed session left server.sessions');
});

void test('EslServer: a connect reply without channel data (no Unique-ID nor Channel-Unique-ID) fails the handshake with EslProtocolError; no session', async (t) => {
  const { server, port, errors } = await listening(t);
  let sessions = 0;
  server.on('session', () => sessions++);
  const peer = rawPeer(t, port);
  await bounded(peer.asked, 'the connect command');
  const failed = nextEvent<[Error]>(server, 'error');
  peer.socket.write(encodeFrame([['Content-Type', 'command/reply'], ['Reply-Text', '+OK'], ['Socket-Mode', 'async'], ['Control', 'full']]));
  await bounded(Promise.all([failed, peer.closed]), 'the peer dropped');
  const err = errors[0] as (Error & { code?: string }) | undefined;
  assert.equal(err?.code, 'FSBUS_ERR_ESL_PROTOCOL', String(err));
  assert.match(err.message, /Unique-ID/);
  assert.equal(sessions, 0);
  assert.deepEqual(server.stats, { sessions: 0, failedHandshakes: 1, refusedConnections: 0 });
  assert.equal(server.sessions.size, 0);

  // Channel-Unique-ID alone names the channel.
  const good = rawPeer(t, port);
  await bounded(good.asked, 'the connect command');
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  good.socket.write(encodeFrame([['Content-Type', 'command/reply'], ['Reply-Text', '+OK'], ['Channel-Unique-ID', 'chan-9'], ['Socket-Mode', 'async'], ['Control', 'full']]));
  const [session] = await bounded(sessionP, 'the session');
  assert.equal(session.uuid, 'chan-9');
  assert.equal(errors.length, 1);
});
