import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startRedis } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { runConformance } from './conformance/suite.js';

runConformance({
  driver: 'redis',
  startBroker: () => startRedis(),
  create: (options) => createDriver('redis', options),
});

void test('redis: a dead URL fails with a typed error; a password is sent from options', async () => {
  const d = await createDriver('redis', { urls: ['redis://127.0.0.1:1'], connectTimeoutMs: 1000 });
  await assert.rejects(d.connect(), { code: TransportErrorCode.CONNECT });
  await d.close();
  assert.equal(d.status, 'closed');
  const server = await startRedis({ password: 's3cret' });
  try {
    const bad = await createDriver('redis', { urls: [server.url], auth: { password: 'nope' }, connectTimeoutMs: 1000 });
    await assert.rejects(bad.connect(), { code: TransportErrorCode.CONNECT });
    await bad.close();
    const good = await createDriver('redis', { urls: [server.url], auth: { password: 's3cret' } });
    await good.connect();
    assert.equal(good.status, 'connected');
    await good.close();
  } finally {
    await server.stop();
  }
});
