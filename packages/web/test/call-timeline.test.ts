// A call's timeline is kept per call, not read from the global event ring: a flood of other
// events (an incident's 800 events/s) pushes the call's events out of the ring, never out of
// its timeline. Real nats-server, agent and simulator; the ring is 50 events here.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { CallTimelines, type EventDetail } from '@fsbus/web';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

interface TimelineAnswer {
  uuid: string;
  channel: unknown;
  events: EventDetail[];
}

describe('the timeline of a call the dashboard tracks', () => {
  let w: Wiring;

  before(async () => {
    w = await startWiring(['fs-node-01'], { eventHistory: 50 });
  });

  after(async () => {
    await w?.stop();
  });

  const timeline = async (uuid: string): Promise<TimelineAnswer> => (await (await fetch(new URL(`/api/timeline/${encodeURIComponent(uuid)}`, w.web.url))).json()) as TimelineAnswer;
  /** Sends `count` HEARTBEATs at once and waits until the dashboard got them all: the ring turns over. */
  const flood = async (count: number): Promise<void> => {
    const { dashboard } = w.web;
    let seen = 0;
    const off = dashboard.onUpdate((u) => {
      seen += (u.events ?? []).filter((e) => e.name === 'HEARTBEAT').length;
    });
    w.nodes[0]!.sim.core.control.injectEvents({ name: 'HEARTBEAT', count });
    await dashboardUntil(dashboard, () => seen >= count, `${count} heartbeats`);
    off();
  };

  test('a live call keeps its events through a flood past the ring, and after it ends', async () => {
    const { dashboard } = w.web;
    const uuid = w.nodes[0]!.sim.core.control.placeInboundCall({ to: '7001' });
    await dashboardUntil(dashboard, () => dashboard.channel(uuid)?.state === 'ACTIVE', 'the call answered');
    const before = (await timeline(uuid)).events.map((e) => e.name);
    assert.ok(before.includes('CHANNEL_CREATE') && before.includes('CHANNEL_ANSWER'), before.join());

    await flood(200);
    const live = await timeline(uuid);
    assert.notEqual(live.channel, null);
    assert.deepEqual(live.events.map((e) => e.name), before, 'the live call lost its timeline to the flood');
    // Every event of the call, and only of it (its id, in arrival order).
    assert.ok(live.events.every((e) => e.uuid === uuid));
    assert.deepEqual(live.events.map((e) => e.id), [...live.events.map((e) => e.id)].sort((a, b) => a - b));

    w.nodes[0]!.sim.core.control.hupall('NORMAL_CLEARING');
    await dashboardUntil(dashboard, () => dashboard.channel(uuid) === undefined, 'the call gone from the table');
    await flood(200);
    const ended = await timeline(uuid);
    assert.equal(ended.channel, null);
    const names = ended.events.map((e) => e.name);
    assert.ok(names.includes('CHANNEL_CREATE') && names.includes('CHANNEL_HANGUP_COMPLETE'), names.join());
  });
});

let nextId = 1;
const ev = (uuid: string, headers: Record<string, string> = {}): EventDetail => ({ id: nextId++, name: 'CHANNEL_EXECUTE', node_id: 'n1', uuid, timestamp: 0, summary: '', headers });

test('bounded per call (its oldest go, counted), in total (ended calls first, then the oldest live), and in ended calls kept', () => {
  // 3 events a call, 50 bytes in all (10 an event), at most 2 ended calls.
  const t = new CallTimelines(3, 50, 2);
  t.track('a', () => []);
  for (let i = 0; i < 5; i++) t.add(ev('a'), 10);
  assert.deepEqual({ n: t.get('a')?.events.length, dropped: t.get('a')?.dropped }, { n: 3, dropped: 2 });
  // The other leg names `a`: in both timelines.
  t.track('b', () => []);
  t.add(ev('b', { 'Other-Leg-Unique-ID': 'a' }), 10);
  assert.equal(t.get('a')?.events.at(-1)?.uuid, 'b');
  assert.equal(t.bytes, 40);
  t.ended('b');
  // Over 50 bytes: the ended call goes, not the live one.
  t.track('c', () => [{ detail: ev('c'), size: 10 }, { detail: ev('c'), size: 10 }]);
  assert.equal(t.has('b'), false);
  assert.equal(t.get('a')?.events.length, 3);
  assert.equal(t.bytes, 50);
  // No ended call left: the oldest live call's timeline goes.
  t.add(ev('c'), 10);
  t.add(ev('c'), 10);
  assert.equal(t.has('a'), false);
  assert.equal(t.get('c')?.events.length, 3);
  // Ended calls beyond the memory age out, oldest ended first; a call back in the table is live again.
  t.track('d', () => []);
  t.track('e', () => []);
  t.ended('c');
  t.ended('d');
  t.track('c', () => []);
  t.ended('e');
  assert.deepEqual(['c', 'd', 'e'].map((u) => t.has(u)), [true, true, true]);
  t.track('f', () => []);
  t.ended('f');
  assert.deepEqual(['c', 'd', 'e', 'f'].map((u) => t.has(u)), [true, false, true, true]);
  // One event larger than the whole bound: its call keeps that event alone.
  const big = new CallTimelines(10, 100, 2);
  big.track('x', () => []);
  big.add(ev('x'), 60);
  big.add(ev('x'), 200);
  assert.deepEqual({ n: big.get('x')?.events.length, bytes: big.bytes }, { n: 1, bytes: 200 });
});
