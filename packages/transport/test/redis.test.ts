import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { EXPIRED_REQUEST_LOG } from '../src/drivers/driver-core.js';
import { DEFAULT_REDIS_NAMESPACE } from '../src/drivers/redis/redis-driver.js';
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

void test('redis: requests read after their requester stopped waiting are not run, counted, and said once per burst with how late they were', async () => {
  const broker = await startRedis();
  const lines: Array<{ msg: string; fields: Record<string, unknown> }> = [];
  const note = (fields: object, msg?: string) => lines.push({ msg: msg ?? '', fields: fields as Record<string, unknown> });
  const server = await createDriver('redis', { urls: [broker.url], logger: { debug: () => undefined, info: () => undefined, warn: note, error: note } });
  const client = await createDriver('redis', { urls: [broker.url] });
  const raw = new Redis(broker.url);
  try {
    await server.connect();
    await client.connect();
    const ran: string[] = [];
    server.serve({ subject: 'late.api', competing: true }, (req) => {
      ran.push(new TextDecoder().decode(req.data));
      return req.data;
    });
    await server.flush();
    // Written as the driver writes a request whose requester's deadline passed a minute ago (held
    // while no server read the lane, or a requester whose clock runs a minute behind).
    const expires = String(Date.now() - 60_000);
    for (const id of ['late-1', 'late-2']) {
      await raw.xadd(`${DEFAULT_REDIS_NAMESPACE}:lane:late.api`, '*', 'subject', 'late.api', 'data', id, 'reply_to', 'nobody', 'correlation_id', id, 'headers', '', 'expires', expires);
    }
    // Read after them on the same lane: once it is answered, they were passed over.
    const reply = await client.request('late.api', new TextEncoder().encode('fresh'), { timeoutMs: 10_000 });
    assert.equal(new TextDecoder().decode(reply.data), 'fresh');
    assert.deepEqual(ran, ['fresh']);
    assert.equal(server.stats().expired, 2);
    const said = lines.filter((l) => l.msg === EXPIRED_REQUEST_LOG);
    assert.equal(said.length, 1, 'the second one is counted into the next line');
    assert.equal(said[0]!.fields['subject'], 'late.api');
    assert.ok((said[0]!.fields['late_ms'] as number) >= 60_000, `late_ms ${String(said[0]!.fields['late_ms'])}`);
    await server.close();
    // At close what the burst held back is said: every skipped request is in a line (1 each, or a summary's `suppressed`).
    const total = lines.filter((l) => l.msg === EXPIRED_REQUEST_LOG).reduce((n, l) => n + ((l.fields['suppressed'] as number | undefined) ?? 1), 0);
    assert.equal(total, 2);
  } finally {
    raw.disconnect();
    await client.close();
    await server.close();
    await broker.stop();
  }
});
