// Redis at maxmemory (noeviction) with the event stream on: the route script publishes an event
// live, then its append to the durable stream fails (OOM). Durable consumers never get it: it is
// a drop after send, as a route script that fails (docs/agent.md) — counted in events_dropped,
// its CHANNEL_HANGUP_COMPLETE in hangups_dropped, the error line, and subscribers told with
// fsbus::events_dropped. Before, only 'broker reported an error' (`stream append failed …`).
// Real redis-server, simulator and agent; waited for by event.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { EslEvent } from '@fsbus/esl';
import { startRedis } from '@fsbus/testkit';
import { arrival } from './support/arrival.js';
import { EVENTS_DROPPED_AFTER_SEND_LOG } from '../src/buffered-loss.js';
import { counter, emitCustom, eslTo, logLine, startCluster } from './support/cluster.js';
import { collectEvents, FILL } from './support/fill-events.js';

const HANGUP = 'CHANNEL_HANGUP_COMPLETE';




void test('redis: an event whose stream append Redis refuses (out of memory) is a drop after send — counted, its hangup, subscribers told', { timeout: 60_000 }, async () => {
  const cluster = await startCluster({
    driver: 'redis',
    startBroker: () => startRedis(),
    config: { events: { include: [`CUSTOM::${FILL}`, HANGUP, 'CUSTOM::fsbus::events_dropped'], stream: { enabled: true } } },
  });
  const node = cluster.nodes[0]!;
  const esl = await eslTo(node.sim);
  const admin = new Redis(cluster.broker.url);
  try {
    const got = await collectEvents(cluster, esl);
    const stored = await admin.xlen('freeswitch:stream:FREESWITCH_EVENTS');

    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    await esl.sendevent(EslEvent.create(HANGUP));
    // Published live all the same.
    await arrival(got, (p) => p.event_name === HANGUP, 'the hangup, live');
    const line = await logLine(node, EVENTS_DROPPED_AFTER_SEND_LOG);
    await admin.config('SET', 'maxmemory', '0');
    assert.deepEqual([line['events_dropped'], line['hangups_dropped']], [1, 1], JSON.stringify(line));
    assert.equal(counter(node, 'events_dropped'), 1);
    assert.equal(await admin.xlen('freeswitch:stream:FREESWITCH_EVENTS'), stored, 'not stored');

    // The next event sent tells subscribers.
    await emitCustom(esl, FILL, 1, 1);
    const told = await arrival(got, (p) => p.headers['Event-Subclass'] === 'fsbus::events_dropped', 'fsbus::events_dropped');
    assert.deepEqual([told.headers['FSBus-Events-Dropped'], told.headers['FSBus-Hangups-Dropped']], ['1', '1']);
  } finally {
    await admin.config('SET', 'maxmemory', '0').catch(() => undefined);
    admin.disconnect();
    await esl.close();
    await cluster.stop();
  }
});
