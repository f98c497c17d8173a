import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startRabbitMq } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { runConformance } from './conformance/suite.js';

runConformance({
  driver: 'amqp',
  startBroker: () => startRabbitMq(),
  create: (options) => createDriver('amqp', options),
});

void test('amqp: a dead URL fails with a typed error', async () => {
  const d = await createDriver('amqp', { urls: ['amqp://127.0.0.1:1'], connectTimeoutMs: 1000 });
  await assert.rejects(d.connect(), { code: TransportErrorCode.CONNECT });
  await d.close();
  assert.equal(d.status, 'closed');
});

void test('amqp: a pattern AMQP cannot bind (over 255 bytes, `#` in a token) is refused at subscribe/serve, typed', async () => {
  const d = await createDriver('amqp', { urls: ['amqp://127.0.0.1:1'] });
  for (const bad of [`t.${'x'.repeat(300)}`, 'a.b#', 'a..b', 'a.>.b']) {
    assert.throws(() => d.subscribe(bad, () => undefined), { code: TransportErrorCode.UNSUPPORTED }, bad);
    assert.throws(() => d.serve({ subject: bad, competing: false }, () => undefined), { code: TransportErrorCode.UNSUPPORTED }, bad);
  }
  await d.close();
});
