// A broker URL whose password holds an unencoded `/` (base64 passwords do), or `?`/`#` for the
// drivers other than nats, cannot be read as one: the NATS driver failed later with a bare
// "Invalid URL" (a CONNECT error reading as a broker problem). connect() refuses it up front with
// FSBUS_ERR_CLIENT_INVALID_ARGUMENT, saying to percent-encode, the password masked — as the agent
// and the CLI do. No broker is needed: nothing is connected.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ClientError, ClientErrorCode, connect } from '../src/index.js';

function refused(url: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ClientError, `a ClientError, not ${String(err)}`);
    assert.equal(err.code, ClientErrorCode.INVALID_ARGUMENT, `${url}: ${err.message}`);
    assert.match(err.message, /percent-encode the password \(\/ → %2F/, url);
    assert.ok(!err.message.includes('retPW'), err.message);
    return true;
  };
}

void test('connect: a password with an unencoded / (? or # but for nats) is refused before connecting, the secret masked', async () => {
  for (const url of ['nats://fsbus:s3c/retPW@127.0.0.1:1', 'amqp://fsbus:s3c?retPW@127.0.0.1:1', 'redis://:s3c#retPW@127.0.0.1:1']) {
    await assert.rejects(connect({ url, connectTimeoutMs: 2000 }), refused(url));
  }
  // One of a list, the driver named.
  await assert.rejects(connect({ driver: 'nats', servers: 'nats://127.0.0.1:1,nats://fsbus:s3c/retPW@127.0.0.1:2', connectTimeoutMs: 2000 }), refused('list'));
});

void test('connect: what the drivers read right is not refused up front (it fails to connect: nothing listens)', async () => {
  for (const url of ['nats://fsbus:s3c%2FretPW@127.0.0.1:1', 'nats://fsbus:s3c?ret#PW@127.0.0.1:1', 'nats://127.0.0.1:1/path@x']) {
    await assert.rejects(connect({ url, connectTimeoutMs: 2000 }), (err: unknown) => {
      assert.ok(err instanceof ClientError, String(err));
      assert.equal(err.code, ClientErrorCode.CONNECT, `${url}: ${err.message}`);
      return true;
    });
  }
});
