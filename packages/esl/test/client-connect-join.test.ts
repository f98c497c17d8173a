// connect() while a connect is in progress joins it: the same outcome for every caller (as
// connect() once ready resolves), not a second attempt or an "already connecting" refusal.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { EslAbortError, EslAuthError, EslClient, EslClosedError, EslErrorCode, type EslClientStatus, type EslError } from '../src/index.js';
import { bounded, eventWhere, ScriptedPeer } from './support/scripted-peer.js';

void test('two connect() calls at once both resolve, on one connection', async (t) => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  const client = new EslClient({ port, reconnect: false });
  t.after(() => client.close());
  const statuses: EslClientStatus[] = [];
  client.on('status', (s) => statuses.push(s));
  const outcomes = await bounded(Promise.allSettled([client.connect(), client.connect()]), 'both connects');
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled'], JSON.stringify(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))));
  assert.deepEqual(statuses, ['connecting', 'ready']);
  assert.match(await client.api('status'), /is ready/);
});

void test('a connect() joining a refused attempt rejects with the same error', async (t) => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  const client = new EslClient({ port, password: 'wrong', reconnect: false });
  t.after(() => client.close());
  const outcomes = await bounded(Promise.allSettled([client.connect(), client.connect()]), 'both connects');
  const reasons = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as unknown) : undefined));
  assert.ok(reasons[0] instanceof EslAuthError, String(reasons[0]));
  assert.equal(reasons[1], reasons[0]);
  assert.equal(client.status, 'disconnected');
});

void test("a joining connect()'s own signal ends only its own wait; close() ends the attempt for the first", async (t) => {
  // Never greets: the attempt stays in progress until close().
  const silent = await ScriptedPeer.start({ autoAuth: false });
  t.after(() => silent.close());
  const client = new EslClient({ port: silent.port, connectTimeoutMs: 60_000, reconnect: false });
  const first = client.connect();
  const ac = new AbortController();
  const joined = client.connect({ signal: ac.signal });
  await silent.nextConnection();
  ac.abort();
  const err = (await joined.then(() => assert.fail('joined connect resolved'), (e: unknown) => e)) as EslError;
  assert.ok(err instanceof EslAbortError, String(err));
  assert.equal(err.code, EslErrorCode.ABORTED);
  assert.equal(client.status, 'connecting');
  const [closed] = await Promise.all([first.then(() => assert.fail('connected'), (e: unknown) => e), client.close()]);
  assert.ok(closed instanceof EslClosedError, String(closed));
});

void test('connect() during reconnecting still rejects (the retries go on by themselves)', async (t) => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const client = new EslClient({ port, reconnect: { initialDelayMs: 60_000, jitter: 0 } });
  t.after(() => client.close());
  await client.connect();
  const reconnecting = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'reconnecting');
  await sim.stop();
  await bounded(reconnecting, 'reconnecting');
  await assert.rejects(client.connect(), /already reconnecting/);
});
