import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createUser } from '@nats-io/nkeys';
import { makeTestCertificate, startNatsServer } from '@fsbus/testkit';
import { createDriver, loadDriver, TransportErrorCode } from '@fsbus/transport';
import { inConnectAttempt } from '../src/nats/connect-sockets.js';
import { runConformance } from './conformance/suite.js';

runConformance({
  driver: 'nats',
  startBroker: () => startNatsServer({ jetstream: true }),
  create: (options) => createDriver('nats', options),
});

void test('loadDriver: unknown names are a typed error', async () => {
  await assert.rejects(loadDriver('carrier-pigeon'), { code: TransportErrorCode.UNKNOWN_DRIVER });
  assert.equal(typeof (await loadDriver('NATS')), 'function');
});

void test('nats: connect to a dead URL list fails with a typed error; a list fails over', async () => {
  const server = await startNatsServer();
  const port = server.port;
  await server.stop();
  const dead = await createDriver('nats', { urls: [`nats://127.0.0.1:${port}`], connectTimeoutMs: 1000 });
  await assert.rejects(dead.connect(), { code: TransportErrorCode.CONNECT });
  await dead.close();
  const live = await startNatsServer();
  try {
    const d = await createDriver('nats', { urls: [`nats://127.0.0.1:${port},${live.url}`], connectTimeoutMs: 2000 });
    await d.connect();
    assert.equal(d.status, 'connected');
    await d.close();
    assert.equal(d.status, 'closed');
  } finally {
    await live.stop();
  }
});

void test('nats: a connect that times out before the server speaks leaves no socket open', async () => {
  // A port that accepts and never sends INFO: nats.js kept each such socket, one per retry.
  const accepted: Socket[] = [];
  const silent = createServer((s) => accepted.push(s.on('error', () => undefined)));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const url = `nats://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    for (let i = 0; i < 3; i++) {
      const d = await createDriver('nats', { urls: [url], connectTimeoutMs: 200 });
      await assert.rejects(d.connect(), { code: TransportErrorCode.CONNECT });
      await d.close();
    }
    assert.equal(accepted.length, 3);
    const closed = accepted.map((s) => (s.closed ? Promise.resolve() : new Promise<void>((resolve) => s.once('close', () => resolve()))));
    const bound = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 5000).unref());
    assert.notEqual(await Promise.race([Promise.all(closed), bound]), 'open', 'every socket the client opened was closed');
  } finally {
    for (const s of accepted) s.destroy();
    silent.close();
  }
});

void test('nats: a connected driver leaves no async context behind (Node keeps async hooks on for one)', async () => {
  const server = await startNatsServer();
  const d = await createDriver('nats', { urls: [server.url] });
  try {
    await d.connect();
    const seen = new Promise<boolean>((resolve) => d.subscribe('ctx.check', () => resolve(inConnectAttempt())));
    await d.flush();
    d.publish('ctx.check', new Uint8Array(0));
    assert.equal(await seen, false, 'a message handler runs outside the connect attempt');
    assert.equal(inConnectAttempt(), false);
  } finally {
    await d.close();
    await server.stop();
  }
});

void test('nats: token auth from options', async () => {
  const server = await startNatsServer({ token: 's3cret' });
  try {
    const bad = await createDriver('nats', { urls: [server.url], connectTimeoutMs: 1000 });
    await assert.rejects(bad.connect(), { code: TransportErrorCode.CONNECT });
    await bad.close();
    const good = await createDriver('nats', { urls: [server.url], auth: { token: 's3cret' } });
    await good.connect();
    await good.close();
  } finally {
    await server.stop();
  }
});

void test('nats: credentials in the URL (nats://token@host, nats://user:pass@host), as libnats reads them', async () => {
  const tokenServer = await startNatsServer({ token: 's3cr/et' });
  const userServer = await startNatsServer({ user: { name: 'agent', password: 'p@ss:word' } });
  try {
    const withUserInfo = (url: string, info: string): string => url.replace('://', `://${info}@`);
    for (const url of [withUserInfo(tokenServer.url, 's3cr%2Fet'), withUserInfo(userServer.url, 'agent:p%40ss%3Aword'), withUserInfo(userServer.url, 'agent:p@ss:word')]) {
      const d = await createDriver('nats', { urls: [url], connectTimeoutMs: 5000 });
      await d.connect();
      await d.close();
    }
    // Explicit credentials win over the URL's.
    const explicit = await createDriver('nats', { urls: [withUserInfo(tokenServer.url, 'wrong')], auth: { token: 's3cr/et' } });
    await explicit.connect();
    await explicit.close();
  } finally {
    await tokenServer.stop();
    await userServer.stop();
  }
});

void test('nats: user/password and NKey seed from options', async () => {
  const server = await startNatsServer({ user: { name: 'agent', password: 'pw' } });
  try {
    const bad = await createDriver('nats', { urls: [server.url], auth: { user: 'agent', password: 'nope' }, connectTimeoutMs: 1000 });
    await assert.rejects(bad.connect(), { code: TransportErrorCode.CONNECT });
    await bad.close();
    const good = await createDriver('nats', { urls: [server.url], auth: { user: 'agent', password: 'pw' } });
    await good.connect();
    await good.close();
  } finally {
    await server.stop();
  }
  const kp = createUser();
  const other = createUser();
  const nk = await startNatsServer({ nkeys: [kp.getPublicKey()] });
  try {
    const wrong = await createDriver('nats', { urls: [nk.url], auth: { nkeySeed: new TextDecoder().decode(other.getSeed()) }, connectTimeoutMs: 1000 });
    await assert.rejects(wrong.connect(), { code: TransportErrorCode.CONNECT });
    await wrong.close();
    const right = await createDriver('nats', { urls: [nk.url], auth: { nkeySeed: new TextDecoder().decode(kp.getSeed()) } });
    await right.connect();
    assert.equal(right.status, 'connected');
    await right.close();
  } finally {
    await nk.stop();
  }
});

void test('nats: TLS with a CA file', async () => {
  const cert = await makeTestCertificate();
  const server = await startNatsServer({ tls: cert });
  try {
    const untrusted = await createDriver('nats', { urls: [server.url], tls: true, connectTimeoutMs: 2000 });
    await assert.rejects(untrusted.connect(), { code: TransportErrorCode.CONNECT });
    await untrusted.close();
    const d = await createDriver('nats', { urls: [server.url], tls: { caFile: cert.certFile } });
    await d.connect();
    assert.equal((await d.gather('nobody.here', new Uint8Array(0), { timeoutMs: 500 })).length, 0);
    await d.close();
  } finally {
    await server.stop();
    await cert.remove();
  }
});
