// Every error the client emits ('error', 'reconnect-failed') is an EslError: its listeners read
// `err.code` under strict tsc (`tsc --noEmit` over the tests fails if the listener types drift
// back to Error), and at run time the code is there.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { EslClient, EslError, type EslErrorCode, type EslServer, type EslSession } from '../src/index.js';
import { bounded } from './support/scripted-peer.js';

/** Compile-time only: listeners whose parameter must carry a code. */
export function typed(client: EslClient, session: EslSession, server: EslServer): void {
  client.on('error', (err) => {
    const code: EslErrorCode = err.code;
    return code;
  });
  client.on('reconnect-failed', (err, attempt, retryInMs) => {
    const code: EslErrorCode = err.code;
    return [code, attempt, retryInMs];
  });
  session.on('error', (err) => {
    const code: EslErrorCode = err.code;
    return code;
  });
  // The server's 'error' also carries Node's own errors (its listening socket's): not narrowed.
  server.on('error', (err: Error) => err.message);
}

void test("reconnect-failed and 'error' carry an EslError with its code", async (t) => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  const client = new EslClient({ port, reconnect: { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 } });
  t.after(() => client.close());
  await client.connect();
  const errors = new Promise<[EslError, EslError]>((resolve) => {
    let failed: EslError | undefined;
    client.on('reconnect-failed', (err) => {
      failed ??= err;
    });
    client.once('error', (err) => resolve([failed!, err]));
  });
  sim.control.refuseAuth(true);
  sim.control.dropConnections();
  const [failed, error] = await bounded(errors, "'error' of a refused reconnect");
  for (const err of [failed, error]) {
    assert.ok(err instanceof EslError, String(err));
    assert.equal(err.code, 'FSBUS_ERR_ESL_AUTH');
  }
});
