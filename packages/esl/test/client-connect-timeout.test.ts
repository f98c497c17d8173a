// A port that accepts TCP but is not Event Socket (an HTTP server waiting for a request, a silent
// port) never sends `Content-Type: auth/request`: connect() then times out, and its message must
// say where (host:port) and how far it got, so that a wrong port is told from a dead host.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
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
