// A reconnect that FreeSWITCH refuses (the password changed on the server, the ACL) or a re-apply
// it refuses after a reconnect happen with no call of the user's to reject: they are 'error's, and
// with no 'error' listener a process warning once per kind (the default logger is silent), as an
// unheard listener error is — never an uncaught throw. Against @fsbus/sim. Each test file runs in
// its own process: the warnings already given are this file's alone.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { EslAuthError, EslClient, EslCommandError, EslRejectedError, type EslClientStatus } from '../src/index.js';
import { bounded, eventWhere, ScriptedPeer } from './support/scripted-peer.js';
import { coreEvent, originated } from './support/sim-inbound.js';

const FAST = { initialDelayMs: 1, maxDelayMs: 20, jitter: 0 };

/** Every process warning from now on whose code is `code`; `stop()` ends the watch. */
function watchWarnings(code: string): { seen: Error[]; next(): Promise<Error>; stop(): void } {
  const seen: Error[] = [];
  let waiting: ((w: Error) => void) | undefined;
  const onWarning = (w: Error): void => {
    if ((w as Error & { code?: string }).code !== code) return;
    seen.push(w);
    waiting?.(w);
    waiting = undefined;
  };
  process.on('warning', onWarning);
  return {
    seen,
    next: () => new Promise((resolve) => (waiting = resolve)),
    stop: () => process.off('warning', onWarning),
  };
}

async function withReconnectingClient(fn: (sim: Simulator, client: EslClient) => Promise<void>): Promise<void> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const client = new EslClient({ port, reconnect: FAST });
  try {
    await client.connect();
    await fn(sim, client);
  } finally {
    await client.close();
    await sim.stop();
  }
}

/** The reconnect-failed of attempt `n`. */
function failedAttempt(client: EslClient, n: number): Promise<Error> {
  return new Promise((resolve) => {
    const on = (err: Error, attempt: number): void => {
      if (attempt !== n) return;
      client.off('reconnect-failed', on);
      resolve(err);
    };
    client.on('reconnect-failed', on);
  });
}

void test("sim: a reconnect refused at auth is an 'error' (EslAuthError) for an 'error' listener, not a warning", async () => {
  const warnings = watchWarnings('FSBUS_ERR_ESL_AUTH');
  try {
    await withReconnectingClient(async (sim, client) => {
      const errors: Error[] = [];
      client.on('error', (err) => errors.push(err));
      sim.control.refuseAuth(true);
      assert.ok(sim.control.dropConnections() >= 1);
      // Every attempt fails the same way: each is heard, none of them is a warning.
      await bounded(failedAttempt(client, 3), 'the third attempt');
      assert.ok(errors.length >= 3, String(errors.length));
      for (const err of errors) {
        assert.ok(err instanceof EslAuthError, String(err));
        assert.equal(err.code, 'FSBUS_ERR_ESL_AUTH');
      }
      const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
      sim.control.refuseAuth(false);
      await bounded(ready, 'the reconnect once auth is accepted again');
    });
    assert.equal(warnings.seen.length, 0);
  } finally {
    warnings.stop();
  }
});

void test('sim: unheard, a reconnect refused at auth is a process warning once (not per attempt), the client keeps retrying', async () => {
  const warnings = watchWarnings('FSBUS_ERR_ESL_AUTH');
  try {
    await withReconnectingClient(async (sim, client) => {
      const warned = warnings.next();
      sim.control.refuseAuth(true);
      assert.ok(sim.control.dropConnections() >= 1);
      const w = await bounded(warned, 'the process warning');
      assert.ok(w instanceof EslAuthError, String(w));
      assert.match(w.message, /authentication refused/);
      await bounded(failedAttempt(client, 3), 'the third attempt');
      assert.equal(warnings.seen.length, 1, 'one warning for every refused attempt');
      const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
      sim.control.refuseAuth(false);
      await bounded(ready, 'the reconnect once auth is accepted again');
    });
  } finally {
    warnings.stop();
  }
});

void test('sim: unheard, a re-apply refused after a reconnect is a process warning (EslCommandError), the client is ready', async () => {
  const warnings = watchWarnings('FSBUS_ERR_ESL_COMMAND');
  try {
    await withReconnectingClient(async (sim, client) => {
      const mine = originated(await client.api('originate loopback/7001 &park()'));
      await client.events('plain', ['CHANNEL_ANSWER']);
      await client.myevents(mine);
      // The socket goes down; the watched call ends meanwhile; the reconnect's `myevents <uuid>` is refused.
      const disconnected = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'disconnected');
      await sim.control.stopListener();
      await bounded(disconnected, 'the disconnect');
      const destroyed = coreEvent(sim, (e) => e.name === 'CHANNEL_DESTROY' && e.uuid === mine);
      await sim.core.api('uuid_kill', mine);
      await bounded(destroyed, 'the end of the watched call');
      const warned = warnings.next();
      const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
      await sim.control.startListener();
      await bounded(ready, 'the reconnect');
      const w = await bounded(warned, 'the process warning');
      assert.ok(w instanceof EslCommandError, String(w));
      assert.equal(w.reply, '-ERR invalid uuid');
      assert.match(w.message, new RegExp(`re-apply of "myevents ${mine}`));
      assert.equal(await client.api('echo alive'), 'alive');
    });
  } finally {
    warnings.stop();
  }
});

void test("a reconnect refused by FreeSWITCH's ACL (text/rude-rejection) is an 'error' (EslRejectedError) too", async (t) => {
  const peer = await ScriptedPeer.start({ autoAuth: false });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: FAST });
  t.after(() => client.close());
  const connecting = client.connect();
  const first = await peer.nextConnection();
  first.frame([['Content-Type', 'auth/request']]);
  await first.nextCommand();
  first.reply('+OK accepted');
  await connecting;
  const reported = eventWhere<Error>(client, 'error', () => true);
  first.destroy();
  const second = await peer.nextConnection();
  second.frame([['Content-Type', 'text/rude-rejection']], 'Access Denied, go away.\n');
  second.end();
  const err = await bounded(reported, "the 'error'");
  assert.ok(err instanceof EslRejectedError, String(err));
  assert.equal(err.code, 'FSBUS_ERR_ESL_REJECTED');
  assert.match(err.message, /Access Denied/);
  await client.close();
});

void test('sim: unheard, refused reconnects to two FreeSWITCH warn once each (the kind names host:port), and log one line per attempt', async () => {
  const warnings = watchWarnings('FSBUS_ERR_ESL_AUTH');
  const sims = [new Simulator({ port: 0, heartbeatIntervalMs: 0 }), new Simulator({ port: 0, heartbeatIntervalMs: 0 })];
  const lines: Array<{ level: string; msg: string }> = [];
  const log = (level: string) => (_obj: object, msg: string): void => void lines.push({ level, msg });
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const clients: EslClient[] = [];
  try {
    for (const sim of sims) {
      const { port } = await sim.start();
      const client = new EslClient({ port, reconnect: FAST, logger });
      clients.push(client);
      await client.connect();
    }
    for (const [i, sim] of sims.entries()) {
      const warned = warnings.next();
      const third = failedAttempt(clients[i]!, 3);
      sim.control.refuseAuth(true);
      assert.ok(sim.control.dropConnections() >= 1);
      await bounded(warned, `the warning for FreeSWITCH ${i + 1}`);
      await bounded(third, 'the third attempt');
      sim.control.refuseAuth(false);
    }
    assert.equal(warnings.seen.length, 2, 'one warning per FreeSWITCH');
    const failed = lines.filter((l) => l.msg === 'esl reconnect failed').length;
    assert.ok(failed >= 6, String(failed));
    assert.equal(lines.filter((l) => l.level === 'error').length, 0, 'a second line per attempt');
  } finally {
    warnings.stop();
    for (const client of clients) await client.close();
    for (const sim of sims) await sim.stop();
  }
});
