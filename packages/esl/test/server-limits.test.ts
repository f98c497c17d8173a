/**
 * EslServer's bounds on what a peer can make it hold: the small pre-handshake frame limits, the
 * parser limits of established sessions (maxBodyBytes, maxHeaderBytes) and maxSessions.
 * connectTimeoutMs is 0 (none) throughout: only the limits under test can close a socket.
 */
import { strict as assert } from 'node:assert';
import { test, type TestContext } from 'node:test';
import { EslEvent, EslServer, encodeFrame, type EslSession } from '../src/index.js';
import { bounded, nextEvent } from './support/scripted-peer.js';
import { connectReply, rawPeer } from './support/raw-outbound-peer.js';
import { fixtureJson, requireFixtures } from './support/fixtures.js';

function eventFrame(headers: Record<string, string>): Buffer {
  return encodeFrame([['Content-Type', 'text/event-plain']], new EslEvent(headers).serialize('plain'));
}

async function listening(t: TestContext, options: ConstructorParameters<typeof EslServer>[0] = {}): Promise<{ server: EslServer; port: number; errors: Error[] }> {
  const server = new EslServer({ port: 0, connectTimeoutMs: 0, ...options });
  const errors: Error[] = [];
  server.on('error', (err) => errors.push(err));
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port, errors };
}

function assertProtocolFailure(err: Error | undefined, pattern: RegExp): void {
  assert.ok(err !== undefined, 'an error was emitted');
  const cause = (err as Error & { cause?: Error & { code?: string } }).cause;
  assert.equal(cause?.code, 'FSBUS_ERR_ESL_PROTOCOL', `cause of ${err.message}`);
  assert.match(cause.message, pattern);
}

void test('EslServer before the connect reply: a body over 64 KiB closes that socket and is counted; the real connect reply on the same server makes a session, whose frames may be large', async (t) => {
  if (!requireFixtures(t)) return;
  const capture = fixtureJson<Array<{ dir: string; data: string }>>('shared-outbound.json');
  const realReply = Buffer.from(capture.find((c) => c.dir === 'in')!.data, 'base64');
  const { server, port, errors } = await listening(t);
  const good = rawPeer(t, port);
  const bad = rawPeer(t, port);
  await bounded(Promise.all([good.asked, bad.asked]), 'both connect commands');

  const failed = nextEvent<[Error]>(server, 'error');
  // A small frame first does not lift the limits: only the reply to connect does.
  bad.socket.write(eventFrame({ 'Event-Name': 'CUSTOM' }));
  // The reviewer's reproduction: a 60 MiB event instead of the connect reply.
  bad.socket.write('Content-Type: text/event-plain\nContent-Length: 62914560\n\n');
  bad.socket.write(Buffer.alloc(256 * 1024, 0x61));
  await bounded(Promise.all([failed, bad.closed]), 'the oversized peer dropped');
  assertProtocolFailure(errors[0], /Content-Length 62914560 exceeds the limit of 65536 bytes/);

  const sessionP = nextEvent<[EslSession]>(server, 'session');
  good.socket.write(realReply);
  const [session] = await bounded(sessionP, 'the well-behaved session');
  assert.equal(session.uuid, 'ee4d0ae8-3648-4eda-b52e-24937d4804dd');
  assert.deepEqual(server.stats, { sessions: 1, failedHandshakes: 1, refusedConnections: 0 });
  assert.equal(server.sessions.size, 1);

  // Established: the regular limits (64 MiB), not the handshake's.
  const big = nextEvent<[EslEvent]>(session, 'event');
  good.socket.write(eventFrame({ 'Event-Name': 'CUSTOM', 'X-Big': 'x'.repeat(1024 * 1024) }));
  const [event] = await bounded(big, 'a 1 MiB event');
  assert.equal(event.getHeader('X-Big')?.length, 1024 * 1024);
  assert.equal(session.stats.protocolErrors, 0);
  assert.equal(errors.length, 1);
});

void test('EslServer before the connect reply: a header block over 64 KiB, ended or not, closes that socket and is counted', async (t) => {
  const { server, port, errors } = await listening(t);
  const pad = 'a'.repeat(64 * 1024);
  const blocks = [`Content-Type: command/reply\nX-Pad: ${pad}\n`, `Content-Type: command/reply\nReply-Text: +OK\nX-Pad: ${pad}\n\n`];
  for (const [i, block] of blocks.entries()) {
    const bad = rawPeer(t, port);
    await bounded(bad.asked, 'the connect command');
    const failed = nextEvent<[Error]>(server, 'error');
    bad.socket.write(block);
    await bounded(Promise.all([failed, bad.closed]), `the peer of block ${i} dropped`);
    assertProtocolFailure(errors[i], /header block exceeds 65536 bytes/);
  }
  const good = rawPeer(t, port);
  await bounded(good.asked, 'the connect command');
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  good.socket.write(connectReply('chan-1'));
  await bounded(sessionP, 'the well-behaved session');
  assert.deepEqual(server.stats, { sessions: 1, failedHandshakes: 2, refusedConnections: 0 });
});

void test('EslServer maxBodyBytes and maxHeaderBytes bound the frames of established sessions', async (t) => {
  const { server, port } = await listening(t, { maxBodyBytes: 4096, maxHeaderBytes: 2048 });
  const peer = rawPeer(t, port);
  await bounded(peer.asked, 'the connect command');
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  peer.socket.write(connectReply('chan-1'));
  const [session] = await bounded(sessionP, 'the session');

  // Over maxBodyBytes: skipped, a protocol error the session survives; the next event comes.
  const skipped = nextEvent<[Error]>(session, 'error');
  const next = nextEvent<[EslEvent]>(session, 'event');
  peer.socket.write(eventFrame({ 'Event-Name': 'CUSTOM', 'X-Big': 'x'.repeat(8192) }));
  peer.socket.write(eventFrame({ 'Event-Name': 'CUSTOM', 'X-Small': 'y' }));
  const [err] = await bounded(skipped, 'the skipped event');
  assert.match(err.message, /over the limit of 4096 bytes: skipped/);
  assert.equal((await bounded(next, 'the next event'))[0].getHeader('X-Small'), 'y');
  assert.equal(session.closed, false);

  // Over maxHeaderBytes: lost framing, the session closes.
  const closed = nextEvent(session, 'close');
  peer.socket.write(`Content-Type: text/event-plain\nX-Pad: ${'a'.repeat(4096)}\n`);
  await bounded(closed, 'the session closed');
  assert.equal(session.stats.protocolErrors, 2);
});

void test('EslServer maxSessions: the connection beyond it is closed at once, counted and logged; one more is accepted once a session closes', async (t) => {
  const warned: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const quiet = (): void => undefined;
  const logger = { debug: quiet, info: quiet, error: quiet, warn: (fields: object, msg: string) => void warned.push({ fields: fields as Record<string, unknown>, msg }) };
  const { server, port, errors } = await listening(t, { maxSessions: 2, logger });
  const established = rawPeer(t, port);
  await bounded(established.asked, 'the first connect command');
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  established.socket.write(connectReply('chan-1'));
  const [session] = await bounded(sessionP, 'the first session');
  const handshaking = rawPeer(t, port); // counts as well: it holds a socket and a parser
  await bounded(handshaking.asked, 'the second connect command');

  const refused = rawPeer(t, port);
  let askedRefused = false;
  void refused.asked.then(() => (askedRefused = true));
  await bounded(refused.closed, 'the refused connection closed');
  assert.equal(askedRefused, false);
  assert.deepEqual(server.stats, { sessions: 1, failedHandshakes: 0, refusedConnections: 1 });
  const refusedLines = warned.filter((w) => w.msg.includes('outbound connection refused'));
  assert.equal(refusedLines.length, 1, JSON.stringify(warned));
  assert.equal(refusedLines[0]!.fields['max_sessions'], 2);
  assert.match(String(refusedLines[0]!.fields['remote']), /127\.0\.0\.1/);

  const sessionClosed = nextEvent(session, 'close');
  session.destroy();
  await bounded(sessionClosed, 'the first session closed');
  const accepted = rawPeer(t, port);
  await bounded(accepted.asked, 'the connect command after a slot freed');
  assert.deepEqual(server.stats, { sessions: 1, failedHandshakes: 0, refusedConnections: 1 });
  assert.equal(errors.length, 0);
  assert.throws(() => new EslServer({ maxSessions: 0 }), { code: 'FSBUS_ERR_ESL_INVALID_ARGUMENT' });
  assert.throws(() => new EslServer({ maxSessions: 1.5 }), { code: 'FSBUS_ERR_ESL_INVALID_ARGUMENT' });
});
