import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { runConformance } from './conformance/suite.js';

runConformance({
  driver: 'mqtt',
  startBroker: () => startMosquitto(),
  create: (options) => createDriver('mqtt', options),
});

void test('mqtt: a dead URL fails with a typed error; user/password from options; a list fails over', async () => {
  const d = await createDriver('mqtt', { urls: ['mqtt://127.0.0.1:1'], connectTimeoutMs: 1000 });
  await assert.rejects(d.connect(), { code: TransportErrorCode.CONNECT });
  await d.close();
  assert.equal(d.status, 'closed');
  const server = await startMosquitto({ user: { name: 'agent', password: 'pw' } });
  try {
    const bad = await createDriver('mqtt', { urls: [server.url], auth: { user: 'agent', password: 'nope' }, connectTimeoutMs: 1000 });
    await assert.rejects(bad.connect(), { code: TransportErrorCode.CONNECT });
    await bad.close();
    const good = await createDriver('mqtt', { urls: ['mqtt://127.0.0.1:1', server.url], auth: { user: 'agent', password: 'pw' } });
    await good.connect();
    assert.equal(good.status, 'connected');
    await good.close();
  } finally {
    await server.stop();
  }
});
