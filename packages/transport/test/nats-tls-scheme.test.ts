/**
 * A `tls://` NATS URL requires TLS, as libnats and nats.go read it: a server that does not offer
 * TLS is refused (typed, naming the URL) before the credentials are sent, not used in clear.
 * `nats://` is unchanged: TLS when the server offers it, plain otherwise.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { makeTestCertificate, startNatsServer } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';

const user = { name: 'agent', password: 'pw' };
const auth = { user: 'agent', password: 'pw' };

void test('nats: a tls:// URL to a server without TLS is refused, typed, naming the URL; nats:// still connects', async () => {
  const plain = await startNatsServer({ user });
  const host = new URL(plain.url).host;
  try {
    const tls = await createDriver('nats', { urls: [`tls://${host}`], auth, connectTimeoutMs: 3000 });
    try {
      await assert.rejects(tls.connect(), (err: Error & { code?: string }) => {
        assert.equal(err.code, TransportErrorCode.CONNECT);
        assert.equal(err.message, `cannot connect to NATS (tls://${host}): the server offers no TLS, which a tls:// URL requires: refused before any credential was sent`);
        return true;
      });
    } finally {
      await tls.close();
    }

    // One tls:// URL of a list makes TLS required on every server of it (nats.go's Secure).
    const list = await createDriver('nats', { urls: [`nats://${host},tls://127.0.0.1:1`], auth, connectTimeoutMs: 3000 });
    try {
      await assert.rejects(list.connect(), { code: TransportErrorCode.CONNECT });
    } finally {
      await list.close();
    }

    const nats = await createDriver('nats', { urls: [`nats://${host}`], auth, connectTimeoutMs: 3000 });
    await nats.connect();
    assert.equal(nats.status, 'connected');
    await nats.close();
  } finally {
    await plain.stop();
  }
});

void test('nats: a tls:// URL connects to a TLS server (the CA from broker.tls)', async () => {
  const cert = await makeTestCertificate();
  const server = await startNatsServer({ user, tls: cert });
  try {
    const d = await createDriver('nats', { urls: [`tls://${new URL(server.url).host}`], auth, tls: { caFile: cert.certFile }, connectTimeoutMs: 3000 });
    await d.connect();
    assert.equal(d.status, 'connected');
    await d.close();
  } finally {
    await server.stop();
    await cert.remove();
  }
});
