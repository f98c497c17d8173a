import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startKafka } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { runConformance } from './conformance/suite.js';

runConformance({
  driver: 'kafka',
  startBroker: () => startKafka(),
  create: (options) => createDriver('kafka', options),
  relay: false,
});

void test('kafka: connect to a dead bootstrap list fails with a typed error', async () => {
  const d = await createDriver('kafka', { urls: ['kafka://127.0.0.1:1'], connectTimeoutMs: 1000 });
  await assert.rejects(d.connect(), { code: TransportErrorCode.CONNECT });
  await d.close();
  assert.equal(d.status, 'closed');
});

void test('kafka: SASL PLAIN credentials from options (FSBUS_BROKER_USER / FSBUS_BROKER_PASSWORD)', async () => {
  const kafka = await startKafka({ sasl: { user: 'agent', password: 's3cret' } });
  try {
    const bad = await createDriver('kafka', { urls: [kafka.url], auth: { user: 'agent', password: 'nope' }, connectTimeoutMs: 2000 });
    await assert.rejects(bad.connect(), { code: TransportErrorCode.CONNECT });
    await bad.close();
    const server = await createDriver('kafka', { urls: [kafka.url], auth: { user: 'agent', password: 's3cret' } });
    const client = await createDriver('kafka', { urls: [kafka.url], auth: { user: 'agent', password: 's3cret' } });
    try {
      await server.connect();
      await client.connect();
      server.serve({ subject: 'sasl.api', competing: true }, (req) => req.data);
      await server.flush();
      const r = await client.request('sasl.api', new TextEncoder().encode('hello'), { timeoutMs: 10_000 });
      assert.equal(new TextDecoder().decode(r.data), 'hello');
    } finally {
      await client.close();
      await server.close();
    }
  } finally {
    await kafka.stop();
  }
});
