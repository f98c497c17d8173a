// A 'session' handler that throws or rejects has left its call in an unknown state: the server
// closes that session's socket (FreeSWITCH then goes on with the dialplan, as after any outbound
// socket that closes without linger: here the call ends) instead of leaving the call parked until
// server.close(), and still reports the failure on its 'error' (FSBUS_ERR_ESL_LISTENER, the cause).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { EslServer, EslSession } from '../src/index.js';
import { bounded, nextEvent } from './support/scripted-peer.js';
import { withDialplanSession } from './support/sim-dialplan-session.js';

interface ListenerErrorShape {
  code: string;
  event: string;
  cause: unknown;
}

for (const kind of ['throws', 'rejects'] as const) {
  void test(`sim: a 'session' handler that ${kind} → its session's socket is closed; the server's 'error' carries the cause`, async () => {
    let serverError!: Promise<[Error]>;
    let sessionClosed!: Promise<[]>;
    const boom = new Error(`handler ${kind}`);
    const prepare = (server: EslServer): void => {
      serverError = nextEvent<[Error]>(server, 'error');
      server.on('session', (session: EslSession) => {
        sessionClosed = nextEvent<[]>(session, 'close');
        if (kind === 'throws') throw boom;
        return Promise.reject(boom);
      });
    };
    await withDialplanSession('async full', async ({ session, server }) => {
      await bounded(sessionClosed, "the session's close");
      assert.equal(session.closed, true);
      assert.equal(server.sessions.size, 0);
      const [err] = await bounded(serverError, "the server's 'error'");
      const e = err as Error & ListenerErrorShape;
      assert.equal(e.code, 'FSBUS_ERR_ESL_LISTENER');
      assert.equal(e.event, 'session');
      assert.equal(e.cause, boom);
    }, {}, prepare);
  });
}
