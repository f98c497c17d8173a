import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { runConformance } from './conformance/suite.js';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';

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

void test('mqtt: a pattern MQTT cannot express is refused at subscribe/serve, typed; reconnects are not held up', async () => {
  const broker = await startMosquitto();
  const d = await createDriver('mqtt', { urls: [broker.url] });
  try {
    await d.connect();
    const got = new Collector<string>();
    d.subscribe('ok.topic', (m) => got.push(dec(m.data)));
    for (const bad of ['a.b+c', 'a.b#', 'a/b', 'a..b', 'a.>.b', 'a.b*']) {
      assert.throws(() => d.subscribe(bad, () => undefined), { code: TransportErrorCode.UNSUPPORTED }, bad);
      assert.throws(() => d.serve({ subject: bad, competing: true }, () => undefined), { code: TransportErrorCode.UNSUPPORTED }, bad);
    }
    await d.flush();
    await broker.halt();
    await waitStatus(d, 'reconnecting');
    await broker.start();
    await waitStatus(d, 'connected', 60_000);
    assert.equal(d.publish('ok.topic', enc('after')), 'sent');
    assert.deepEqual(await got.until(1), ['after']);
  } finally {
    await d.close();
    await broker.stop();
  }
});
