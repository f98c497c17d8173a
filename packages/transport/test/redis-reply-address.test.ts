// Redis: a lane entry's `reply_to` is a key the server writes its reply into (XADD + PEXPIRE). Any
// client that can write a lane could name a key of the bus's own (its lane stream, a serving set)
// and have the server damage it. A server takes only reply addresses of its bus's reply streams
// (`<ns>:reply:<id>`); any other is refused: the request runs as one sent without a reply address,
// its reply counted as dropped (stats().dropped) and the refusal logged once per burst.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type ServeRequest } from '@fsbus/transport';
import { RedisDriver } from '../src/drivers/redis/redis-driver.js';
import { REFUSED_REPLY_ADDRESS_LOG } from '../src/drivers/redis/redis-reply-address.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const LANE = 'freeswitch:lane:freeswitch.api';
const MARKS = 'freeswitch:serving:freeswitch.api';

/** The lane's requests, one at a time, in arrival order. */
function requestQueue() {
  const arrived: ServeRequest[] = [];
  const waiting: Array<(r: ServeRequest) => void> = [];
  return {
    handler: (r: ServeRequest) => {
      const w = waiting.shift();
      if (w === undefined) arrived.push(r);
      else w(r);
      return bytes('{"success":true}');
    },
    next: () => new Promise<ServeRequest>((resolve) => {
      const r = arrived.shift();
      if (r === undefined) waiting.push(resolve);
      else resolve(r);
    }),
  };
}

void test("redis: a reply_to outside the bus's reply streams is refused — the request runs without a reply, the named key is left alone, counted and logged; an SDK request still gets its reply", async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }), error: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }) };
  const server = new RedisDriver({ urls: [broker.url], logger });
  const client = await createDriver('redis', { urls: [broker.url] });
  try {
    await server.connect();
    await client.connect();
    const lane = requestQueue();
    server.serve({ subject: 'freeswitch.api', competing: true }, lane.handler);
    await server.flush();
    const written = async (replyTo: string, correlationId: string) => {
      await raw.xadd(LANE, '*', 'subject', 'freeswitch.api', 'data', '{"command":"status"}', 'reply_to', replyTo, 'correlation_id', correlationId);
      const request = await lane.next();
      // The handler answered at once: a reply, were one sent, went to Redis before this PING.
      await server.flush();
      return request;
    };

    // The reviewer's reproduction: the server's own lane stream named as the reply address.
    const own = await written(LANE, 'x1');
    assert.equal(await raw.pttl(LANE), -1, 'the lane stream got no expiry');
    assert.equal(await raw.xlen(LANE), 1, 'no reply entry written into the lane (only the request itself)');
    assert.equal(own.expectsReply, false, 'handled as a request without a reply address');
    assert.equal(own.reply(bytes('again')), false);
    assert.equal(server.stats().dropped, 1, 'counted');
    const first = warnings.find((w) => w.msg === REFUSED_REPLY_ADDRESS_LOG);
    assert.ok(first !== undefined, 'logged');
    assert.equal(first.fields['subject'], 'freeswitch.api');
    assert.equal(first.fields['reply_to'], LANE);

    // The serving marks (a sorted set): was WRONGTYPE, "publish failed, dropped".
    await written(MARKS, 'x2');
    assert.equal(await raw.type(MARKS), 'zset');
    assert.equal(await raw.pttl(MARKS), -1);
    // Shaped like a reply stream, but of another bus (namespace), or with more after the id.
    await written('other:reply:0123456789abcdef', 'x3');
    await written('freeswitch:reply:0123456789abcdef:x', 'x4');
    assert.equal(await raw.exists('other:reply:0123456789abcdef', 'freeswitch:reply:0123456789abcdef:x'), 0);
    assert.equal(server.stats().dropped, 4);
    assert.ok(!warnings.some((w) => w.msg === 'publish failed, dropped'), 'nothing sent for Redis to refuse');

    // A reply stream of this bus, as the SDK names it and as another language's client may (32 hex).
    const sdk = client.request('freeswitch.api', bytes('{"command":"status"}'), { timeoutMs: 10_000 });
    assert.equal((await lane.next()).expectsReply, true);
    assert.equal(new TextDecoder().decode((await sdk).data), '{"success":true}');
    const foreign = 'freeswitch:reply:0123456789abcdef0123456789abcdef';
    const other = await written(foreign, 'x5');
    assert.equal(other.expectsReply, true);
    const [[, fields] = ['', []]] = await raw.xrange(foreign, '-', '+');
    assert.deepEqual(fields, ['correlation_id', 'x5', 'data', '{"success":true}']);
    assert.equal(server.stats().dropped, 4);
  } finally {
    await client.close();
    await server.close();
    raw.disconnect();
    await broker.stop();
  }
  // What the burst held back is said when the driver closes: the last refusal and how many.
  const summary = warnings.filter((w) => w.msg === REFUSED_REPLY_ADDRESS_LOG).at(-1);
  assert.equal(summary?.fields['suppressed'], 3);
  assert.equal(summary.fields['reply_to'], 'freeswitch:reply:0123456789abcdef:x');
});
