// A broker that keeps failing events after they were sent (Redis out of memory, a lane serving
// CHANNEL_HANGUP_COMPLETE, so every hangup's route script fails) must not make the agent announce
// a loss after every event: 'sent' is no proof the broker takes events again. Within one window
// (injected: an hour, so the whole test is one) the hangups are told once and logged once, the
// first line with the drop's own count and range, the summary with those of the drops it stands
// for; the rest is told at the stop. The announcement failing
// the same way is logged, not counted as a loss to announce again (which looped before).
// Real redis-server, simulator and agent; waited for by event.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import type { Agent } from '@fsbus/agent';
import { buildSubjects, type EventPayload } from '@fsbus/contract';
import { EslEvent, type EslClient } from '@fsbus/esl';
import { startRedis } from '@fsbus/testkit';
import { arrival } from './support/arrival.js';
import { EVENTS_DROPPED_AFTER_SEND_LOG as AFTER_SEND_LOG } from '../src/buffered-loss.js';
import { dec, emitCustom, eslTo, startCluster } from './support/cluster.js';

type Log = Record<string, unknown>;
const FILL = 'fsbus::test_fill';
const HANGUP = 'CHANNEL_HANGUP_COMPLETE';
const DROPPED = 'fsbus::events_dropped';
const subjects = buildSubjects('freeswitch');
// The log lines as docs/agent.md gives them.
const TELLING_LOG = 'events were dropped: telling subscribers (fsbus::events_dropped)';
const OWN_EVENT_LOST_LOG = "the agent's own event failed at the broker after it was sent: dropped, not told again";
/** Longer than the test: every drop falls in the first window of the agent's rate limits. */
const ONE_WINDOW_MS = 3_600_000;

interface Rig {
  agent: Agent;
  logs: Log[];
  esl: EslClient;
  admin: Redis;
  got: EventPayload[];
  hangupStamps: number[];
  stop(): Promise<void>;
}

/** Redis, a simulated node, its agent (rate-limit window injected), a bus client subscribed to every event, and lanes on `laneSubjects`. */
async function startRig(laneSubjects: string[]): Promise<Rig> {
  const cluster = await startCluster({
    driver: 'redis',
    startBroker: () => startRedis(),
    config: { events: { include: [`CUSTOM::${FILL}`, HANGUP, `CUSTOM::${DROPPED}`] } },
    agentOptions: { eventLossWindowMs: ONE_WINDOW_MS },
  });
  const { sim, agent, logs } = cluster.nodes[0]!;
  const got: EventPayload[] = [];
  cluster.client.subscribe('freeswitch.events.>', (m) => got.push(JSON.parse(dec(m.data)) as EventPayload));
  // The route script XADDs to a lane's stream, which Redis refuses when out of memory.
  for (const subject of laneSubjects) cluster.client.serve({ subject, competing: true }, () => undefined);
  await cluster.client.flush();
  const hangupStamps: number[] = [];
  sim.core.onEvent((e) => {
    if (e.name === HANGUP) hangupStamps.push(Number(e.headers.find(([k]) => k === 'Event-Date-Timestamp')?.[1]));
  });
  const esl = await eslTo(sim);
  const admin = new Redis(cluster.broker.url);
  return {
    agent,
    logs,
    esl,
    admin,
    got,
    hangupStamps,
    async stop() {
      await admin.config('SET', 'maxmemory', '0').catch(() => undefined);
      admin.disconnect();
      await esl.close();
      await cluster.stop();
    },
  };
}

const counter = (agent: Agent, name: string): number => (agent.status()['counters'] as Record<string, number>)[name] ?? 0;
const lines = (rig: Rig, msg: string): Log[] => rig.logs.filter((l) => l['msg'] === msg);
const announcements = (rig: Rig): EventPayload[] => rig.got.filter((p) => p.headers['Event-Subclass'] === DROPPED);
const lossOf = (p: EventPayload): string[] => {
  const h = p.headers;
  return [h['FSBus-Events-Dropped'], h['FSBus-Hangups-Dropped'], h['FSBus-Events-Dropped-Since'], h['FSBus-Events-Dropped-Until']] as string[];
};

/** Emits fills, each waited for at the subscriber (a sent event, and a round trip), until `done()` holds. */
async function fillsUntil(rig: Rig, done: () => boolean, what: string): Promise<void> {
  for (let i = 0; !done(); i++) {
    assert.ok(i < 200, `${what}: still not after 200 fills`);
    await fill(rig);
  }
}

let fillSeq = 0;
async function fill(rig: Rig): Promise<void> {
  const seq = fillSeq++;
  await emitCustom(rig.esl, FILL, 1, seq);
  await arrival(rig.got, (p) => p.headers['Event-Subclass'] === FILL && p.headers['Seq'] === String(seq), `fill ${seq}`);
}

async function outOfMemory(rig: Rig): Promise<void> {
  await rig.admin.config('SET', 'maxmemory-policy', 'noeviction');
  await rig.admin.config('SET', 'maxmemory', '1');
}

void test('redis failing every hangup after sending it: one fsbus::events_dropped and one error line per window, the summary line adding up its drops; the rest told at the stop', { timeout: 120_000 }, async () => {
  const HANGUPS = 6;
  const rig = await startRig([subjects.event(HANGUP)]);
  try {
    await fill(rig);
    await outOfMemory(rig);
    // Each hangup fails; events go on being sent between the failures (fills: published only, no lane).
    for (let k = 1; k <= HANGUPS; k++) {
      await rig.esl.sendevent(EslEvent.create(HANGUP));
      await fillsUntil(rig, () => counter(rig.agent, 'events_dropped') >= k, `hangup ${k} dropped`);
    }
    // Whatever a drop made the agent publish went before these two.
    await fill(rig);
    await fill(rig);
    assert.equal(counter(rig.agent, 'events_dropped'), HANGUPS);
    const stamps = rig.hangupStamps;
    assert.equal(stamps.length, HANGUPS);

    const told = announcements(rig);
    assert.equal(told.length, 1, `one fsbus::events_dropped in the window: ${JSON.stringify(told.map(lossOf))}`);
    assert.deepEqual(lossOf(told[0]!), ['1', '1', String(stamps[0]), String(stamps[0])]);
    assert.equal(lines(rig, TELLING_LOG).length, 1);
    const errors = lines(rig, AFTER_SEND_LOG);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    const first = errors[0]!;
    assert.deepEqual([first['level'], first['events_dropped'], first['hangups_dropped'], first['since_us'], first['until_us']], [50, 1, 1, stamps[0], stamps[0]]);

    // Redis takes them again; the stop tells what the window held back, and writes the line it suppressed.
    await rig.admin.config('SET', 'maxmemory', '0');
    const stopped = rig.agent.stop();
    const rest = await arrival(rig.got, (p) => p.headers['Event-Subclass'] === DROPPED && p !== told[0], 'the rest, told at the stop');
    await stopped;
    assert.deepEqual(lossOf(rest), [String(HANGUPS - 1), String(HANGUPS - 1), String(stamps[1]), String(stamps[HANGUPS - 1])]);
    const after = lines(rig, AFTER_SEND_LOG);
    assert.equal(after.length, 2, JSON.stringify(after));
    const last = after[1]!;
    // The drops it stands for, added up over their range (the last one's own alone read as one
    // event lost beside `suppressed`); the broker's status when it was written.
    assert.deepEqual(
      [last['events_dropped'], last['hangups_dropped'], last['since_us'], last['until_us'], last['suppressed']],
      [HANGUPS - 1, HANGUPS - 1, stamps[1], stamps[HANGUPS - 1], HANGUPS - 1],
      JSON.stringify(last),
    );
  } finally {
    await rig.stop();
  }
});

void test('redis failing the fsbus::events_dropped announcement too: its failure is logged, not announced again', { timeout: 120_000 }, async () => {
  const droppedSubject = subjects.event('CUSTOM', DROPPED);
  const rig = await startRig([subjects.event(HANGUP), droppedSubject]);
  try {
    await fill(rig);
    await outOfMemory(rig);
    await rig.esl.sendevent(EslEvent.create(HANGUP));
    // The hangup, then the announcement the next sent event made: both failed.
    await fillsUntil(rig, () => counter(rig.agent, 'events_dropped') >= 2, 'the hangup and its announcement dropped');
    for (let i = 0; i < 5; i++) await fill(rig);
    await rig.admin.config('SET', 'maxmemory', '0');
    await fill(rig);
    await fill(rig);

    assert.equal(counter(rig.agent, 'events_dropped'), 2);
    assert.deepEqual(announcements(rig).map(lossOf), [], 'the lost announcement is not a loss to announce');
    assert.equal(lines(rig, TELLING_LOG).length, 1);
    const own = lines(rig, OWN_EVENT_LOST_LOG);
    assert.deepEqual(
      own.map((l) => [l['level'], l['subject']]),
      [[50, droppedSubject]],
    );
  } finally {
    await rig.stop();
  }
});
