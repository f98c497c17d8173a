// Redis: a lane entry's `reply_to` is a key the server writes its reply into (XADD + PEXPIRE). Any
// client that can write a lane could name a key of the bus's own (its lane stream, a serving set)
// and have the server damage it. A server takes only reply addresses of its bus's reply streams
// (`<ns>:reply:<id>`); any other is refused: the request is not run (its requester could never
// learn the outcome; one that retries would run it twice), counted in stats().requestsRefused (not
// in dropped) and the refusal logged once per burst.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type DriverStats } from '@fsbus/transport';
import { RedisDriver } from '../src/drivers/redis/redis-driver.js';
import { REFUSED_REPLY_ADDRESS_LOG } from '../src/drivers/redis/redis-reply-address.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const LANE = 'freeswitch:lane:freeswitch.api';
const MARKS = 'freeswitch:serving:freeswitch.api';

const pick = ({ requestsRefused, dropped }: DriverStats) => ({ requestsRefused, dropped });

void test("redis: a reply_to outside the bus's reply streams is refused — the request is not run, the named key is left alone, counted and logged; an SDK request still gets its reply", async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }), error: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }) };
  const server = new RedisDriver({ urls: [broker.url], logger });
  const client = await createDriver('redis', { urls: [broker.url] });
  try {
    await server.connect();
    await client.connect();
    const ran: string[] = [];
    server.serve({ subject: 'freeswitch.api', competing: true }, (req) => {
      ran.push(`${new TextDecoder().decode(req.data)} expectsReply=${String(req.expectsReply)}`);
      return bytes('{"success":true}');
    });
    await server.flush();
    const written = (replyTo: string, correlationId: string) =>
      raw.xadd(LANE, '*', 'subject', 'freeswitch.api', 'data', `{"command":"status","correlation_id":"${correlationId}"}`, 'reply_to', replyTo, 'correlation_id', correlationId);
    /** An SDK request after what was written: the lane is read in order by its one server, so once answered, all before it was handled. */
    const answered = async (n: number) => {
      const reply = await client.request('freeswitch.api', bytes(`{"command":"status","correlation_id":"sdk${n}"}`), { timeoutMs: 10_000 });
      assert.equal(new TextDecoder().decode(reply.data), '{"success":true}');
      // The handler answered at once: a reply, were one sent for a refused request, went to Redis before this PING.
      await server.flush();
    };

    // The reviewer's reproduction: the server's own lane stream named as the reply address.
    await written(LANE, 'x1');
    await answered(1);
    assert.deepEqual(ran, ['{"command":"status","correlation_id":"sdk1"} expectsReply=true'], 'the refused request did not run');
    assert.equal(await raw.pttl(LANE), -1, 'the lane stream got no expiry');
    assert.deepEqual(pick(server.stats()), { requestsRefused: 1, dropped: 0 }, 'counted as refused, not as a drop');
    const first = warnings.find((w) => w.msg === REFUSED_REPLY_ADDRESS_LOG);
    assert.ok(first !== undefined, 'logged');
    assert.equal(first.fields['subject'], 'freeswitch.api');
    assert.equal(first.fields['reply_to'], LANE);
    for (const [id, fields] of await raw.xrange(LANE, '-', '+')) assert.equal(fields[0], 'subject', `entry ${id} is not a request: no reply written into the lane`);

    // The serving marks (a sorted set): was WRONGTYPE, "publish failed, dropped".
    await written(MARKS, 'x2');
    // Shaped like a reply stream, but of another bus (namespace), or with more after the id.
    await written('other:reply:0123456789abcdef', 'x3');
    await written('freeswitch:reply:0123456789abcdef:x', 'x4');
    await answered(2);
    assert.equal(ran.length, 2, 'none of the refused ran');
    assert.equal(await raw.type(MARKS), 'zset');
    assert.equal(await raw.pttl(MARKS), -1);
    assert.equal(await raw.exists('other:reply:0123456789abcdef', 'freeswitch:reply:0123456789abcdef:x'), 0);
    assert.deepEqual(pick(server.stats()), { requestsRefused: 4, dropped: 0 });
    assert.ok(!warnings.some((w) => w.msg === 'publish failed, dropped'), 'nothing sent for Redis to refuse');

    // A reply stream of this bus, as another language's client may name it (32 hex): run, answered there.
    const foreign = 'freeswitch:reply:0123456789abcdef0123456789abcdef';
    await written(foreign, 'x5');
    await answered(3);
    assert.deepEqual(ran.slice(2), ['{"command":"status","correlation_id":"x5"} expectsReply=true', '{"command":"status","correlation_id":"sdk3"} expectsReply=true']);
    const [[, fields] = ['', []]] = await raw.xrange(foreign, '-', '+');
    assert.deepEqual(fields, ['correlation_id', 'x5', 'data', '{"success":true}']);
    assert.deepEqual(pick(server.stats()), { requestsRefused: 4, dropped: 0 });
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
