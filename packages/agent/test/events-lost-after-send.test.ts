// An event the broker fails after publish() said 'sent' (Redis out of memory on the lane stream
// that serves its subject: the route script fails before it publishes) is lost too, and told as
// what it is: its own error line (not "outgoing buffer full" — nothing was buffered), the
// CHANNEL_HANGUP_COMPLETE among the drops counted, and a time range that is the dropped events'
// own. Before, such a drop was never looked at until a later event was buffered, then logged as a
// full buffer with the hangups left out and the range starting after it.
// Real redis-server, simulator and agent; waited for by event. Redis is paused (SIGSTOP) while the
// agent writes the two hangups and a fill: it then runs the three at once and answers them in one
// write, so both failures reach the agent in one read, after the fill went out.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { buildSubjects } from '@fsbus/contract';
import { EslEvent } from '@fsbus/esl';
import { startRedis } from '@fsbus/testkit';
import { arrival } from './support/arrival.js';
import { EVENTS_DROPPED_AFTER_SEND_LOG } from '../src/buffered-loss.js';
import { counter, emitCustom, eslTo, logLine, startCluster, until } from './support/cluster.js';
import { collectEvents, fill, FILL } from './support/fill-events.js';

const HANGUP = 'CHANNEL_HANGUP_COMPLETE';
// The log lines as docs/agent.md gives them.
const EVENTS_DROPPED_LOG = 'outgoing buffer full: oldest events dropped';




void test('redis: events the broker fails after they were sent get their own error line, their hangups and their own time range', { timeout: 90_000 }, async () => {
  const cluster = await startCluster({
    driver: 'redis',
    startBroker: () => startRedis(),
    config: { events: { include: [`CUSTOM::${FILL}`, HANGUP, 'CUSTOM::fsbus::events_dropped'] } },
  });
  const node = cluster.nodes[0]!;
  const esl = await eslTo(node.sim);
  const admin = new Redis(cluster.broker.url);
  try {
    const hangupStamps: number[] = [];
    node.sim.core.onEvent((e) => {
      if (e.name === HANGUP) hangupStamps.push(Number(e.headers.find(([k]) => k === 'Event-Date-Timestamp')?.[1]));
    });
    // A lane on the hangups' subject: the route script XADDs them to it, which Redis refuses when out of memory.
    const got = await collectEvents(cluster, esl, () => cluster.client.serve({ subject: buildSubjects('freeswitch').event(HANGUP), competing: true }, () => undefined));

    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
    const before = counter(node, 'events_published');
    process.kill(pid, 'SIGSTOP');
    try {
      for (let i = 0; i < 2; i++) await esl.sendevent(EslEvent.create(HANGUP));
      // Publishes only (no lane): it goes through, after the two hangups on the same connection.
      await emitCustom(esl, FILL, 1, 1);
      await until(node.agent, () => counter(node, 'events_published') >= before + 3, 'the hangups and the fill sent');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // The first drop is logged at once: the first hangup, its own timestamp.
    const line = await logLine(node, EVENTS_DROPPED_AFTER_SEND_LOG);
    // Redis takes events again. A round trip: the second failure, read with the first, is in too.
    await admin.config('SET', 'maxmemory', '0');
    assert.equal(counter(node, 'events_dropped'), 2);
    assert.equal(hangupStamps.length, 2);
    const [first, second] = hangupStamps as [number, number];
    assert.deepEqual([line['level'], line['events_dropped'], line['hangups_dropped'], line['since_us'], line['until_us']], [50, 1, 1, first, first], JSON.stringify(line));
    assert.ok(!node.logs.some((l) => l['msg'] === EVENTS_DROPPED_LOG), 'nothing was buffered: no "outgoing buffer full" line');
    await arrival(got, fill(1), 'the fill sent with the hangups');

    // The next event sent tells subscribers: one fsbus::events_dropped for both.
    await emitCustom(esl, FILL, 1, 2);
    const told = await arrival(got, (p) => p.headers['Event-Subclass'] === 'fsbus::events_dropped', 'fsbus::events_dropped');
    const h = told.headers;
    assert.deepEqual(
      [h['FSBus-Events-Dropped'], h['FSBus-Hangups-Dropped'], h['FSBus-Events-Dropped-Since'], h['FSBus-Events-Dropped-Until']],
      ['2', '2', String(first), String(second)],
    );
  } finally {
    await admin.config('SET', 'maxmemory', '0').catch(() => undefined);
    admin.disconnect();
    await esl.close();
    await cluster.stop();
  }
});
