// A 'session' handler that throws or rejects has left its call in an unknown state: the server
// ends that session the way FreeSWITCH expects — `exit`, whose `+OK bye` and goodbye notice come
// before FreeSWITCH closes the socket — and destroys it only if that takes longer than a short
// deadline. FreeSWITCH then goes on with the dialplan (here: nothing after `socket`, the call ends)
// instead of leaving the call parked until server.close(). The server still reports the failure
// on its 'error' (FSBUS_ERR_ESL_LISTENER, the cause).
import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { test } from 'node:test';
import { EslServer, type DisconnectNoticeFrame, type EslSession } from '../src/index.js';
import { bounded, nextEvent, PeerConn } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';

interface ListenerErrorShape {
  code: string;
  event: string;
  cause: unknown;
}

for (const [kind, flags] of [['throws', 'async full'], ['rejects', 'async full'], ['throws', 'full']] as const) {
  void test(`sim (${flags}): a 'session' handler that ${kind} → its session ends with exit (the sim's goodbye comes), then closes; the server's 'error' carries the cause`, async () => {
    let serverError!: Promise<[Error]>;
    let sessionClosed!: Promise<[]>;
    const notices: DisconnectNoticeFrame[] = [];
    const boom = new Error(`handler ${kind}`);
    const prepare = (server: EslServer): void => {
      serverError = nextEvent<[Error]>(server, 'error');
      server.on('session', (session: EslSession) => {
        sessionClosed = nextEvent<[]>(session, 'close');
        session.on('disconnect-notice', (n) => void notices.push(n));
        if (kind === 'throws') throw boom;
        return Promise.reject(boom);
      });
    };
    await withDialplanSession(flags, async ({ session, server }) => {
      await bounded(sessionClosed, "the session's close");
      assert.equal(session.closed, true);
      assert.equal(server.sessions.size, 0);
      // The simulator answers `exit` (only that, the channel being up) with its goodbye before it closes.
      assert.deepEqual(notices.map((n) => n.text.split('\n')[0]), ['Disconnected, goodbye.']);
      assert.equal(session.hungUp, false, 'the goodbye answers our exit: no sign of a hangup');
      const [err] = await bounded(serverError, "the server's 'error'");
      const e = err as Error & ListenerErrorShape;
      assert.equal(e.code, 'FSBUS_ERR_ESL_LISTENER');
      assert.equal(e.event, 'session');
      assert.equal(e.cause, boom);
    }, {}, prepare);
  });
}

void test("a peer that never answers the failed session's exit has its socket destroyed", async (t) => {
  const server = new EslServer({ port: 0 });
  const { port } = await server.listen();
  t.after(() => server.close());
  const serverError = nextEvent<[Error]>(server, 'error');
  let sessionClosed!: Promise<[]>;
  server.on('session', (session: EslSession) => {
    sessionClosed = nextEvent<[]>(session, 'close');
    throw new Error('boom');
  });
  const socket = connect({ port, host: '127.0.0.1' });
  t.after(() => socket.destroy());
  const fs: PeerConn = new PeerConn(socket, (cmd) => {
    if (cmd.line === 'connect') fs.reply('%2BOK%0A', [['Event-Name', 'CHANNEL_DATA'], ['Unique-ID', 'chan-1'], ['Socket-Mode', 'async'], ['Control', 'full']]);
    // `exit` is read and never answered.
  });
  await bounded(serverError, "the server's 'error'");
  await bounded(fs.closed, 'the peer socket closed by the server');
  await bounded(sessionClosed, "the session's close");
  assert.deepEqual(fs.received.map((c) => c.line), ['connect', 'exit']);
});

void test("sim: a handler that starts close() and then throws → that close goes on (one exit, the sim's goodbye), not a destroy", async () => {
  let sessionClosed!: Promise<[]>;
  let closing!: Promise<void>;
  const notices: DisconnectNoticeFrame[] = [];
  const errors: Error[] = [];
  const prepare = (server: EslServer): void => {
    server.on('error', (err) => void errors.push(err));
    server.on('session', (session: EslSession) => {
      sessionClosed = nextEvent<[]>(session, 'close');
      session.on('disconnect-notice', (n) => void notices.push(n));
      closing = session.close();
      throw new Error('boom');
    });
  };
  await withDialplanSession('async full', async ({ session }) => {
    await bounded(sessionClosed, "the session's close");
    await bounded(closing, 'the handler\'s close()');
    assert.deepEqual(notices.map((n) => n.text.split('\n')[0]), ['Disconnected, goodbye.']);
    assert.equal(session.stats.requests, 2, 'connect and one exit');
    assert.deepEqual(errors.map((e) => (e as Error & { code?: string }).code), ['FSBUS_ERR_ESL_LISTENER']);
  }, {}, prepare);
});
