import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startRedis } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { runConformance } from './conformance/suite.js';

runConformance({
  driver: 'redis',
  startBroker: () => startRedis(),
  create: (options) => createDriver('redis', options),
  subscribeHeaders: false,
});

void test("redis: a lane it could never route to (`*` in it, a bare `>`) is refused, typed, instead of a stream nobody writes to", async () => {
  const server = await startRedis();
  const d = await createDriver('redis', { urls: [server.url] });
  try {
    await d.connect();
    for (const subject of ['st.*', '*.api', '>', 'a..b']) {
      assert.throws(() => d.serve({ subject, competing: true }, () => undefined), { code: TransportErrorCode.UNSUPPORTED }, subject);
    }
    const lane = d.serve({ subject: 'st.>', competing: true }, () => new TextEncoder().encode('ok'));
    await d.flush();
    assert.equal(new TextDecoder().decode((await d.request('st.y', new Uint8Array(1), { timeoutMs: 5000 })).data), 'ok');
    await lane.unsubscribe();
  } finally {
    await d.close();
    await server.stop();
  }
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
