import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { spawnUntil, startRedis } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { SERVING_MARK_INTERVAL_MS, SERVING_MARK_TTL_MS } from '../src/drivers/redis/redis-serving.js';

const bytes = (s: string) => new TextEncoder().encode(s);

void test('redis: a request to a lane whose only server left no live mark (crashed) is answered "no responders" at once, not written; a fire-and-forget command still waits in the stream', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const client = await createDriver('redis', { urls: [broker.url] });
  try {
    await client.connect();
    // What a server that crashed leaves: its lane stream, its group with its consumer, a mark run out.
    const key = 'freeswitch:lane:crash.node.x';
    await raw.call('XGROUP', 'CREATE', key, 'crash.node.x', '$', 'MKSTREAM');
    await raw.call('XREADGROUP', 'GROUP', 'crash.node.x', 'gone', 'COUNT', '1', 'STREAMS', key, '>');
    await raw.zadd('freeswitch:serving:crash.node.x', 1, 'gone');
    const started = performance.now();
    await assert.rejects(client.request('crash.node.x', bytes('{}'), { timeoutMs: 30_000 }), { code: TransportErrorCode.NO_RESPONDERS });
    assert.ok(performance.now() - started < 10_000, 'answered before the request timeout');
    assert.equal(await raw.xlen(key), 0, 'the request was not written to the dead lane');
    // Commands keep the stream's promise: run when a server reads the lane again.
    client.publish('crash.node.x', bytes('later'));
    await client.flush();
    assert.equal(await raw.xlen(key), 1);
    // A lane with no marks at all (a server that does not mark) is taken as served, as before.
    await raw.del('freeswitch:serving:crash.node.x');
    await assert.rejects(client.request('crash.node.x', bytes('{}'), { timeoutMs: 300 }), { code: TransportErrorCode.TIMEOUT });
    assert.equal(await raw.xlen(key), 2);
  } finally {
    await client.close();
    raw.disconnect();
    await broker.stop();
  }
});

void test('redis: a serving driver marks its lanes until it leaves; the last one to leave takes the marks with the stream', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const a = await createDriver('redis', { urls: [broker.url] });
  const b = await createDriver('redis', { urls: [broker.url] });
  try {
    await a.connect();
    await b.connect();
    const laneA = a.serve({ subject: 'mark.api', competing: true }, () => bytes('a'));
    const laneB = b.serve({ subject: 'mark.api', competing: true }, () => bytes('b'));
    await a.flush();
    await b.flush();
    assert.ok(['a', 'b'].includes(new TextDecoder().decode((await a.request('mark.api', bytes('{}'), { timeoutMs: 5000 })).data)));
    const [time] = (await raw.call('TIME')) as [string, string];
    const marks = await raw.zrange('freeswitch:serving:mark.api', '0', '-1', 'WITHSCORES');
    assert.equal(marks.length, 4, 'one mark per serving driver');
    for (const score of [marks[1], marks[3]]) {
      const left = Number(score) - Number(time) * 1000;
      assert.ok(left > SERVING_MARK_TTL_MS - SERVING_MARK_INTERVAL_MS && left <= SERVING_MARK_TTL_MS + 1000, `mark valid for ${left} ms`);
    }
    await laneA.unsubscribe();
    assert.equal(await raw.zcard('freeswitch:serving:mark.api'), 1, "a's mark went with it");
    assert.equal(new TextDecoder().decode((await a.request('mark.api', bytes('{}'), { timeoutMs: 5000 })).data), 'b');
    await laneB.unsubscribe();
    assert.equal(await raw.exists('freeswitch:serving:mark.api', 'freeswitch:lane:mark.api'), 0);
    await assert.rejects(a.request('mark.api', bytes('{}'), { timeoutMs: 30_000 }), { code: TransportErrorCode.NO_RESPONDERS });
  } finally {
    await a.close();
    await b.close();
    raw.disconnect();
    await broker.stop();
  }
});

/** A server in a process of its own, killed without a goodbye. */
const SERVER = `
import { createDriver } from '@fsbus/transport';
const d = await createDriver('redis', { urls: [process.env.REDIS_URL] });
await d.connect();
d.serve({ subject: 'crash.node.y', competing: false }, () => new TextEncoder().encode('alive'));
await d.flush();
console.log('serving');
`;

void test('redis: once a server is killed (SIGKILL, no goodbye), requests to its lane get "no responders" within the mark lifetime instead of their timeout', async () => {
  const broker = await startRedis();
  const client = await createDriver('redis', { urls: [broker.url] });
  const raw = new Redis(broker.url);
  const { child } = await spawnUntil(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', SERVER], /serving/, 30_000, {
    env: { ...process.env, REDIS_URL: broker.url },
  });
  try {
    await client.connect();
    assert.equal(new TextDecoder().decode((await client.request('crash.node.y', bytes('{}'), { timeoutMs: 5000 })).data), 'alive');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // Each try waits for an answer: a timeout while the dead server's mark is still valid (at most
    // SERVING_MARK_TTL_MS), then "no responders". Without the marks every try would time out.
    let answer: unknown;
    for (let tries = 0; answer === undefined && tries < 15; tries++) {
      answer = await client.request('crash.node.y', bytes('{}'), { timeoutMs: 1000 }).then(
        () => 'a reply from a killed server',
        (err: { code?: string }) => (err.code === TransportErrorCode.TIMEOUT ? undefined : err.code),
      );
    }
    assert.equal(answer, TransportErrorCode.NO_RESPONDERS);
    // The lane stream stayed (the crash left its group): the marks made the difference.
    assert.equal(await raw.exists('freeswitch:lane:crash.node.y'), 1);
  } finally {
    child.kill('SIGKILL');
    await client.close();
    raw.disconnect();
    await broker.stop();
  }
});

void test('redis: a lane stream nobody made a group for (a client XADDed it without NOMKSTREAM) is not taken as served: a request gets "no responders", unwritten; a server that comes reads it', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const client = await createDriver('redis', { urls: [broker.url] });
  const server = await createDriver('redis', { urls: [broker.url] });
  try {
    await client.connect();
    await server.connect();
    const key = 'freeswitch:lane:raw.node.ghost';
    await raw.xadd(key, '*', 'subject', 'raw.node.ghost', 'data', '{}', 'reply_to', 'freeswitch:reply:raw', 'correlation_id', 'r1', 'headers', '');
    // Not NOMKSTREAM: nil, no stream made.
    assert.equal(await raw.xadd('freeswitch:lane:raw.node.other', 'NOMKSTREAM', '*', 'subject', 'raw.node.other'), null);
    await assert.rejects(client.request('raw.node.ghost', bytes('{}'), { timeoutMs: 2000 }), { code: TransportErrorCode.NO_RESPONDERS });
    assert.equal(await raw.xlen(key), 1, 'the request was not written to the unread stream');
    server.serve({ subject: 'raw.node.ghost', competing: false }, () => bytes('here'));
    await server.flush();
    assert.equal(new TextDecoder().decode((await client.request('raw.node.ghost', bytes('{}'), { timeoutMs: 5000 })).data), 'here');
  } finally {
    await client.close();
    await server.close();
    raw.disconnect();
    await broker.stop();
  }
});

void test('redis: a lane whose last marking server left while a crashed one\'s consumer stays is answered "no responders" (its stream stays)', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const client = await createDriver('redis', { urls: [broker.url] });
  const server = await createDriver('redis', { urls: [broker.url] });
  try {
    await client.connect();
    await server.connect();
    // A crashed server's group and consumer (Redis makes a consumer on its first entry read); its
    // mark ran out and went with the next renewal of another server's.
    const key = 'freeswitch:lane:again.node.z';
    await raw.call('XGROUP', 'CREATE', key, 'fanout.crashed.1', '$', 'MKSTREAM');
    await raw.call('XGROUP', 'CREATECONSUMER', key, 'fanout.crashed.1', 'crashed');
    const lane = server.serve({ subject: 'again.node.z', competing: false }, () => bytes('back'));
    await server.flush();
    assert.equal(new TextDecoder().decode((await client.request('again.node.z', bytes('{}'), { timeoutMs: 5000 })).data), 'back');
    await lane.unsubscribe();
    assert.equal(await raw.exists(key), 1, "the crashed server's consumer keeps the stream");
    await assert.rejects(client.request('again.node.z', bytes('{}'), { timeoutMs: 1000 }), { code: TransportErrorCode.NO_RESPONDERS });
    // A server that comes back drops the run-out mark with its own and is handed requests again.
    server.serve({ subject: 'again.node.z', competing: false }, () => bytes('again'));
    await server.flush();
    assert.equal(new TextDecoder().decode((await client.request('again.node.z', bytes('{}'), { timeoutMs: 5000 })).data), 'again');
  } finally {
    await client.close();
    await server.close();
    raw.disconnect();
    await broker.stop();
  }
});
