// Redis: a lane entry's `expires` is the requester's deadline in epoch milliseconds. A client in
// another language that wrote seconds had every request skipped as late (only a `late_ms` log line
// on the agent's side), and one that wrote text ("soon") had it ignored and the command run with no
// deadline. A server refuses an `expires` that is not a finite number ≥ 1e12 (a value in seconds
// is below it): the request is not run, the requester gets FSBUS_ERR_BUS_INVALID_ARGUMENT on its
// reply stream with its correlation id, and the refusal is counted and logged.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DriverLogger } from '@fsbus/transport';
import { RedisDriver } from '../src/drivers/redis/redis-driver.js';
import { REFUSED_EXPIRES_LOG } from '../src/drivers/redis/redis-expires.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const LANE = 'freeswitch:lane:freeswitch.api';
const REPLIES = 'freeswitch:reply:0123456789abcdef0123456789abcdef';

void test('redis: an `expires` in seconds or not a number is refused with INVALID_ARGUMENT on the reply stream, not run; epoch ms, empty or absent run', async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }), error: () => undefined };
  const server = new RedisDriver({ urls: [broker.url], logger });
  const client = await createDriver('redis', { urls: [broker.url] });
  try {
    await server.connect();
    await client.connect();
    const ran: string[] = [];
    server.serve({ subject: 'freeswitch.api', competing: true }, (req) => {
      ran.push((JSON.parse(new TextDecoder().decode(req.data)) as { correlation_id: string }).correlation_id);
      return bytes('{"success":true}');
    });
    await server.flush();
    const write = (id: string, expires: string | undefined, replyTo = REPLIES) =>
      raw.xadd(LANE, '*', 'subject', 'freeswitch.api', 'data', `{"command":"status","correlation_id":"body-${id}"}`, 'reply_to', replyTo, 'correlation_id', id, 'headers', '', ...(expires === undefined ? [] : ['expires', expires]));
    /** An SDK request after what was written: the lane is read in order by its one server, so once answered, all before it was handled. */
    const settle = async () => {
      await client.request('freeswitch.api', bytes('{"command":"status","correlation_id":"sdk"}'), { timeoutMs: 10_000 });
      await server.flush(); // a refusal's reply went to Redis before this PING
    };
    const nowMs = Date.now();
    await write('seconds', String(Math.floor(nowMs / 1000) + 60));
    await write('text', 'soon');
    await write('zero', '0');
    await write('infinite', 'Infinity');
    await write('ms', String(nowMs + 60_000));
    await write('ms-fraction', String(nowMs + 60_000.5));
    await write('empty', '');
    await write('absent', undefined);
    await write('no-reply-to', 'soon', '');
    await settle();
    assert.deepEqual(ran, ['body-ms', 'body-ms-fraction', 'body-empty', 'body-absent', 'sdk'], 'only epoch ms (or no deadline) ran');

    const replies = new Map<string, Record<string, unknown>>();
    for (const [, fields] of await raw.xrange(REPLIES, '-', '+')) replies.set(fields[1]!, JSON.parse(fields[3]!) as Record<string, unknown>);
    for (const [id, sent] of [['seconds', String(Math.floor(nowMs / 1000) + 60)], ['text', 'soon'], ['zero', '0'], ['infinite', 'Infinity']] as const) {
      const reply = replies.get(id);
      assert.ok(reply !== undefined, `${id}: a reply, with the entry's correlation id`);
      assert.equal(reply['success'], false, id);
      assert.equal(reply['code'], 'FSBUS_ERR_BUS_INVALID_ARGUMENT', id);
      assert.equal(reply['message'], `expires must be epoch milliseconds (a number ≥ 1000000000000, e.g. Date.now() + 5000), not seconds: got ${JSON.stringify(sent)}`, id);
      assert.equal(reply['correlation_id'], `body-${id}`, `${id}: the body's correlation_id echoed, as every refusal does`);
    }
    for (const id of ['ms', 'ms-fraction', 'empty', 'absent']) assert.equal(replies.get(id)?.['success'], true, id);
    assert.equal(server.stats().requestsRefused, 5, 'counted, the one without a reply address too');
    assert.equal(server.stats().expired, 0, 'none taken for late');
    const logged = warnings.find((w) => w.msg === REFUSED_EXPIRES_LOG);
    assert.equal(logged?.fields['expires'], String(Math.floor(nowMs / 1000) + 60));
  } finally {
    await client.close();
    await server.close();
    raw.disconnect();
    await broker.stop();
  }
});
