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
