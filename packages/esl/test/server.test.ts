import { strict as assert } from 'node:assert';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { EslEvent, EslServer, type EslSession } from '../src/index.js';
import { bounded, nextEvent, PeerConn, type ReceivedCommand } from './support/scripted-peer.js';
import { fixtureJson, requireFixtures } from './support/fixtures.js';

const CHANNEL = 'ee4d0ae8-3648-4eda-b52e-24937d4804dd';

interface Chunk {
  dir: 'in' | 'out';
  data: string;
}

/**
 * Plays FreeSWITCH's side of the recorded session: waits until our server has written exactly
 * the next `out` chunk, then writes the `in` chunks that followed it in the capture.
 */
async function replay(port: number, chunks: Chunk[]): Promise<{ socket: Socket; done: Promise<void> }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let received = Buffer.alloc(0);
  let step = 0;
  let resolveDone!: () => void;
  let rejectDone!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const advance = (): void => {
    while (step < chunks.length) {
      const chunk = chunks[step]!;
      const bytes = Buffer.from(chunk.data, 'base64');
      if (chunk.dir === 'in') {
        socket.write(bytes);
        step++;
        continue;
      }
      if (received.length < bytes.length) return;
      const got = received.subarray(0, bytes.length);
      if (!got.equals(bytes)) {
        rejectDone(new Error(`step ${step}: expected ${JSON.stringify(bytes.toString())}, got ${JSON.stringify(got.toString())}`));
        return;
      }
      received = received.subarray(bytes.length);
      step++;
    }
    // FreeSWITCH closes the socket after the final disconnect-notice.
    socket.end();
    resolveDone();
  };
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    advance();
  });
  advance();
  return { socket, done };
}

void test('outbound: the real FreeSWITCH 1.10.12 session replayed against EslServer/EslSession', async (t) => {
  if (!requireFixtures(t)) return;
  const chunks = fixtureJson<Chunk[]>('shared-outbound.json');
  const server = new EslServer({ port: 0 });
  const { port } = await server.listen();
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  const fs = await replay(port, chunks);
  const [session] = await bounded(sessionP, 'the session');
  assert.equal(session.uuid, CHANNEL);
  assert.equal(session.channelData.getHeader('Caller-Callee-ID-Name'), 'Outbound Call');
  assert.equal(session.channelData.getHeader('variable_current_application_data'), '127.0.0.1:8084 async full');
  assert.equal(session.channelData.getHeader('Reply-Text'), undefined);
  assert.equal(session.socketMode, 'async');
  assert.equal(session.control, 'full');
  const names: string[] = [];
  session.on('event', (e) => names.push(e.name));
  const ended = nextEvent(session, 'end');
  const closed = nextEvent(session, 'close');

  assert.equal((await session.myevents()).replyText, '+OK Events Enabled');
  assert.equal((await session.linger()).replyText, '+OK will linger');
  const answered = await bounded(session.answer({ eventUuid: 'aaaaaaaa-0000-0000-0000-000000000001' }), 'answer');
  assert.equal(answered.getHeader('Application'), 'answer');
  const played = await bounded(session.playback('tone_stream://%(200,0,350)', { eventUuid: 'aaaaaaaa-0000-0000-0000-000000000002' }), 'playback');
  assert.equal(played.getHeader('Application-Response'), 'FILE PLAYED');
  assert.equal(played.getHeader('Application-Data'), 'tone_stream://%(200,0,350)');
  assert.equal(await session.getVariable('caller_id_number'), '0000000000');
  assert.equal((await session.hangup('NORMAL_CLEARING')).replyText, '+OK');
  await bounded(ended, "the session's end (linger notice)");
  assert.equal((await session.exit()).replyText, '+OK bye');
  await bounded(fs.done, 'the replay');
  await bounded(closed, 'the close');
  const flow = names.filter((n) => n.startsWith('CHANNEL_EXECUTE') || n === 'CHANNEL_HANGUP');
  assert.deepEqual(flow.slice(0, 5), ['CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP']);
  assert.ok(names.includes('CHANNEL_ANSWER'));
  assert.ok(names.includes('CHANNEL_HANGUP_COMPLETE'));
  assert.equal(session.stats.protocolErrors, 0);
  await server.close();
});

/** A scripted FreeSWITCH side for the helpers: answers connect, sendmsg, getvar. */
async function fakeChannel(port: number, onSendmsg: (cmd: ReceivedCommand, conn: PeerConn) => void, socketMode = 'async'): Promise<PeerConn> {
  const socket = connect({ port, host: '127.0.0.1' });
  const conn: PeerConn = new PeerConn(socket, (cmd) => {
    if (cmd.line === 'connect') {
      conn.reply('%2BOK%0A', [['Event-Name', 'CHANNEL_DATA'], ['Unique-ID', 'chan-1'], ['Caller-Caller-ID-Number', '1000'], ['Socket-Mode', socketMode], ['Control', 'full']]);
    } else if (cmd.line === 'myevents') conn.reply('+OK Events Enabled');
    else if (cmd.line.startsWith('sendmsg')) onSendmsg(cmd, conn);
    else if (cmd.line === 'exit') {
      conn.reply('+OK bye');
      conn.end();
    }
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return conn;
}

function complete(cmd: ReceivedCommand, extra: Record<string, string> = {}): EslEvent {
  return new EslEvent({
    'Event-Name': 'CHANNEL_EXECUTE_COMPLETE',
    'Unique-ID': 'chan-1',
    Application: cmd.headers.get('execute-app-name') ?? '',
    'Application-Data': cmd.headers.get('execute-app-arg') ?? '',
    'Application-UUID': cmd.headers.get('event-uuid') ?? '',
    ...extra,
  });
}

void test('outbound helpers: playAndGetDigits, bridge, set, setMany wait for their EXECUTE_COMPLETE', async () => {
  const server = new EslServer({ port: 0 });
  const { port } = await server.listen();
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  const sent: ReceivedCommand[] = [];
  const fs = await fakeChannel(port, (cmd, conn) => {
    sent.push(cmd);
    conn.reply('+OK');
    const app = cmd.headers.get('execute-app-name');
    if (app === 'play_and_get_digits') conn.event(complete(cmd, { variable_my_digits: '1234' }));
    else if (app === 'bridge') conn.event(complete(cmd, { 'Application-Response': 'SUCCESS' }));
    else conn.event(complete(cmd));
  });
  const [session] = await bounded(sessionP, 'the session');
  assert.equal(session.uuid, 'chan-1');
  await session.myevents();
  const digits = await bounded(
    session.playAndGetDigits({ min: 1, max: 4, tries: 2, timeoutMs: 3000, terminators: '#', file: 'ivr/enter.wav', varName: 'my_digits', regexp: '\\d+' }),
    'playAndGetDigits',
  );
  assert.equal(digits, '1234');
  assert.equal(sent[0]!.headers.get('execute-app-arg'), '1 4 2 3000 # ivr/enter.wav silence_stream://250 my_digits \\d+ 3000');
  const bridged = await bounded(session.bridge('user/1001'), 'bridge');
  assert.equal(bridged.getHeader('Application-Response'), 'SUCCESS');
  await bounded(session.set('foo', 'bar baz'), 'set');
  assert.equal(sent[2]!.headers.get('execute-app-arg'), 'foo=bar baz');
  await bounded(session.setMany({ a: '1', b: '2' }), 'setMany');
  assert.deepEqual(sent.slice(3).map((c) => c.headers.get('execute-app-arg')), ['a=1', 'b=2']);
  const closed = nextEvent(session, 'end');
  await session.close();
  await bounded(closed, 'end');
  await fs.closed;
  await server.close();
});

void test('outbound static mode: FreeSWITCH answers an execute after the application ran, so requestTimeoutMs does not cut it', async () => {
  const server = new EslServer({ port: 0, requestTimeoutMs: 20 });
  const { port } = await server.listen();
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  // The application (a bridge, say) outlasts requestTimeoutMs five times before the +OK.
  const fs = await fakeChannel(port, (cmd, conn) => void setTimeout(() => {
    conn.reply('+OK');
    conn.event(complete(cmd, { 'Application-Response': 'SUCCESS' }));
  }, 100), 'static');
  const [session] = await bounded(sessionP, 'the session');
  assert.equal(session.socketMode, 'static');
  await session.myevents();
  const done = await bounded(session.bridge('user/1001'), 'bridge');
  assert.equal(done.getHeader('Application-Response'), 'SUCCESS');
  await server.close();
  await fs.closed;
});

void test('outbound: a hangup rejects a running execute; server.close() drops the sessions', async () => {
  const server = new EslServer({ port: 0 });
  const { port } = await server.listen();
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  const fs = await fakeChannel(port, (_cmd, conn) => {
    conn.reply('+OK');
    conn.event(new EslEvent({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', 'Unique-ID': 'chan-1' }));
  });
  const [session] = await bounded(sessionP, 'the session');
  await session.myevents();
  await assert.rejects(session.playback('long.wav'), /hung up/);
  assert.equal(server.sessions.size, 1);
  await server.close();
  await fs.closed;
  assert.equal(session.closed, true);
  assert.equal(server.sessions.size, 0);
});

void test('outbound getVariable: a multi-line value, written raw as FreeSWITCH writes it, comes back whole and the session goes on', async (t) => {
  const sdp = 'v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
  const server = new EslServer({ port: 0 });
  const { port } = await server.listen();
  t.after(() => server.close());
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  const socket = connect({ port, host: '127.0.0.1' });
  t.after(() => socket.destroy());
  const fs: PeerConn = new PeerConn(socket, (cmd) => {
    if (cmd.line === 'connect') fs.reply('%2BOK%0A', [['Event-Name', 'CHANNEL_DATA'], ['Unique-ID', 'chan-1'], ['Socket-Mode', 'async'], ['Control', 'full']]);
    // mod_event_socket: "Content-Type: command/reply\nReply-Text: %s\n\n" with the value as it is.
    else if (cmd.line === 'getvar switch_r_sdp') fs.write(`Content-Type: command/reply\nReply-Text: ${sdp}\n\n`);
    else if (cmd.line === 'getvar next') fs.write('Content-Type: command/reply\nReply-Text: value\n\n');
  });
  const [session] = await bounded(sessionP, 'the session');
  // The value's last newline is the frame's end: FreeSWITCH's framing cannot tell them apart.
  assert.equal(await bounded(session.getVariable('switch_r_sdp'), 'getVariable'), sdp.slice(0, -1));
  assert.equal(await bounded(session.getVariable('next'), 'the next getvar'), 'value');
  assert.equal(session.closed, false);
});

void test('EslServer: a busy port rejects EslConnectError; a peer that leaves before connect is reported, not a session', async () => {
  const server = new EslServer({ port: 0 });
  const { port } = await server.listen();
  await assert.rejects(server.listen(), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'FSBUS_ERR_ESL_INVALID_ARGUMENT');
  const other = new EslServer({ port });
  await assert.rejects(other.listen(), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'FSBUS_ERR_ESL_CONNECT');
  let sessions = 0;
  server.on('session', () => sessions++);
  const error = nextEvent<[Error]>(server, 'error');
  const socket = connect({ port, host: '127.0.0.1' });
  socket.once('data', () => socket.destroy()); // reads `connect`, then hangs up without replying
  const [err] = await bounded(error, 'the handshake error');
  assert.equal((err as Error & { code?: string }).code, 'FSBUS_ERR_ESL_CLOSED');
  assert.equal(sessions, 0);
  assert.equal(server.stats.failedHandshakes, 1);
  await server.close();
});
