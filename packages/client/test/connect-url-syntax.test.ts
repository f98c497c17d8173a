// A broker URL no driver can read (a missing `:`, a port past 65535, a scheme typo) is refused by
// connect() up front with FSBUS_ERR_CLIENT_INVALID_ARGUMENT, as the agent and the CLI do: it was
// a CONNECT error ("Invalid URL", or — a typo taken for NATS — a timeout) reading as a broker
// problem. The check is createDriver's, so a driver made without connect() refuses it too.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createDriver, TransportError, TransportErrorCode } from '@fsbus/transport';
import { ClientError, ClientErrorCode, connect } from '../src/index.js';

void test('connect: a URL of no valid form is refused before connecting, saying why, the password masked', async () => {
  for (const [options, message] of [
    [{ url: 'amqp//127.0.0.1:1' }, /amqp\/\/127\.0\.0\.1:1: no scheme:\/\//],
    [{ url: 'amqp://127.0.0.1:314490' }, /port 314490 is not 1-65535/],
    [{ url: 'ampq://u:secretPW@127.0.0.1:1' }, /ampq:\/\/\*\*\*@127\.0\.0\.1:1: unknown scheme 'ampq:\/\/'/],
    [{ driver: 'amqp', url: 'ampq://127.0.0.1:1' }, /unknown scheme 'ampq:\/\/'/],
  ] as const) {
    await assert.rejects(connect({ ...options, connectTimeoutMs: 2000 }), (err: unknown) => {
      assert.ok(err instanceof ClientError, `a ClientError, not ${String(err)}`);
      assert.equal(err.code, ClientErrorCode.INVALID_ARGUMENT, err.message);
      assert.match(err.message, message);
      assert.ok(!err.message.includes('secretPW'), err.message);
      return true;
    });
  }
});

void test('createDriver: the same refusal, INVALID_OPTION', async () => {
  for (const [driver, url] of [['amqp', 'amqp://127.0.0.1:65536'], ['nats', 'ampq://127.0.0.1:1'], ['redis', 'redis//h:6379']]) {
    await assert.rejects(createDriver(driver!, { urls: [url!] }), (err: unknown) => {
      assert.ok(err instanceof TransportError && err.code === TransportErrorCode.INVALID_OPTION, String(err));
      return true;
    });
  }
});
