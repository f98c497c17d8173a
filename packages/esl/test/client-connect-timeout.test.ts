// A port that accepts TCP but is not Event Socket (an HTTP server waiting for a request, a silent
// port) never sends `Content-Type: auth/request`: connect() then times out — or fails at once, when
// the port hangs up — and its message must say where (host:port) and how far it got, so that a
// wrong port is told from a dead host.
import { strict as assert } from 'node:assert';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { EslClient } from '../src/index.js';
import { ScriptedPeer } from './support/scripted-peer.js';

void test('connect to a port that accepts TCP but never greets: FSBUS_ERR_ESL_TIMEOUT naming host:port and the missing greeting', async () => {
  const silent = await ScriptedPeer.start({ autoAuth: false });
  const client = new EslClient({ port: silent.port, connectTimeoutMs: 200, reconnect: false });
  try {
    const err = await client.connect().then(() => assert.fail('connected'), (e: unknown) => e as Error & { code: string });
    assert.equal(err.code, 'FSBUS_ERR_ESL_TIMEOUT');
    assert.ok(err.message.includes(`127.0.0.1:${silent.port}`), err.message);
    assert.match(err.message, /TCP connected but no Event Socket greeting/);
    assert.match(err.message, /not an Event Socket port\?/);
  } finally {
    await client.close();
    await silent.close();
  }
});

void test('connect whose auth is never answered: the timeout says the greeting came and auth got no reply', async () => {
  const peer = await ScriptedPeer.start({ autoAuth: false });
  const client = new EslClient({ port: peer.port, connectTimeoutMs: 300, reconnect: false });
  try {
    const connecting = client.connect().then(() => assert.fail('connected'), (e: unknown) => e as Error & { code: string });
    const conn = await peer.nextConnection();
    conn.frame([['Content-Type', 'auth/request']]);
    const err = await connecting;
    assert.equal(err.code, 'FSBUS_ERR_ESL_TIMEOUT');
    assert.ok(err.message.includes(`127.0.0.1:${peer.port}`), err.message);
    assert.match(err.message, /no reply to auth/);
  } finally {
    await client.close();
    await peer.close();
  }
});

void test('connect to a port that accepts TCP and closes at once, without a greeting: FSBUS_ERR_ESL_CONNECT naming host:port and the missing greeting', async () => {
  // Not a ScriptedPeer: a plain TCP server that hangs up on every connection, as some non-ESL ports do.
  const closing = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
  const port = (closing.address() as AddressInfo).port;
  const client = new EslClient({ port, reconnect: false });
  try {
    const err = await client.connect().then(() => assert.fail('connected'), (e: unknown) => e as Error & { code: string });
    assert.equal(err.code, 'FSBUS_ERR_ESL_CONNECT');
    assert.ok(err.message.includes(`127.0.0.1:${port}`), err.message);
    assert.match(err.message, /closed during the handshake/);
    assert.match(err.message, /no Event Socket greeting \(Content-Type: auth\/request\)/);
    assert.match(err.message, /not an Event Socket port\?/);
  } finally {
    await client.close();
    await new Promise<void>((resolve) => closing.close(() => resolve()));
  }
});

void test('a close after the greeting (a wrong password) keeps its own message: no "not an Event Socket port" hint', async () => {
  const peer = await ScriptedPeer.start({ autoAuth: false });
  const client = new EslClient({ port: peer.port, reconnect: false });
  try {
    const connecting = client.connect().then(() => assert.fail('connected'), (e: unknown) => e as Error & { code: string });
    const conn = await peer.nextConnection();
    conn.frame([['Content-Type', 'auth/request']]);
    await conn.nextCommand();
    conn.reply('-ERR invalid');
    conn.end();
    const err = await connecting;
    assert.equal(err.code, 'FSBUS_ERR_ESL_AUTH');
    assert.doesNotMatch(err.message, /greeting|Event Socket port/);
  } finally {
    await client.close();
    await peer.close();
  }
});

// connectTimeoutMs 0 and Infinity mean no timeout (as every timeout of the library): a timer armed
// with either fires after 1 ms in Node, which failed every connect at once.
for (const connectTimeoutMs of [0, Number.POSITIVE_INFINITY]) {
  void test(`connectTimeoutMs ${connectTimeoutMs}: no connect timeout, the connect succeeds`, async (t) => {
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
    const { port } = await sim.start();
    t.after(() => sim.stop());
    const client = new EslClient({ port, connectTimeoutMs, reconnect: false });
    t.after(() => client.close());
    await client.connect();
    assert.match(await client.api('status'), /is ready/);
  });
}
