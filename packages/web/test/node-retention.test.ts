// Nodes that are gone for good leave the dashboard: a node that stops answering agent.status is
// shown offline, then removed (card and channels) once it has been offline for the retention;
// and the node map is bounded, the longest-unseen node making room for one that answers. Real
// nats-server, agents and simulators; the dashboard's clock is the test's.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { ChannelTable, type NodeView } from '@fsbus/web';
import { connect } from '@nats-io/transport-node';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

const RETENTION_MS = 600_000;

const ids = (nodes: readonly NodeView[]): string[] => nodes.map((n) => n.node_id).sort();

describe('a node that stops answering', () => {
  let w: Wiring;
  let now = Date.now();
  const removed: string[] = [];

  before(async () => {
    w = await startWiring(['fs-node-01', 'fs-node-02'], { clock: () => now, offlineNodeRetentionMs: RETENTION_MS });
    w.web.dashboard.onUpdate((u) => removed.push(...(u.nodes_removed ?? [])));
  });

  after(async () => {
    await w?.stop();
  });

  test('is shown offline, then removed with its channels once offline for the retention; the others stay', async () => {
    const { dashboard } = w.web;
    const node = (id: string): NodeView | undefined => dashboard.snapshot().nodes.find((n) => n.node_id === id);
    const channelsOf = (id: string): number => dashboard.snapshot().channels.filter((c) => c.node_id === id).length;
    await dashboardUntil(dashboard, () => node('fs-node-01')?.presence === 'online' && node('fs-node-02')?.presence === 'online', 'both nodes online');
    const gone = w.nodes[1]!;
    gone.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
    await dashboardUntil(dashboard, () => channelsOf('fs-node-02') > 0, 'a call of fs-node-02 in the table');

    await gone.agent.stop();
    await dashboardUntil(dashboard, () => node('fs-node-02')?.presence === 'offline', 'fs-node-02 offline');
    // More polls within the retention: still there, offline.
    let polls = 0;
    const offPolls = dashboard.onUpdate((u) => {
      if (u.nodes?.some((n) => n.node_id === 'fs-node-01') === true) polls++;
    });
    now += RETENTION_MS - 1;
    await dashboardUntil(dashboard, () => polls >= 2, 'two more polls');
    offPolls();
    assert.equal(node('fs-node-02')?.presence, 'offline');
    assert.deepEqual(removed, []);

    now += 1;
    await dashboardUntil(dashboard, () => node('fs-node-02') === undefined, 'fs-node-02 removed');
    assert.deepEqual(removed, ['fs-node-02']);
    assert.equal(node('fs-node-01')?.presence, 'online');
    assert.equal(channelsOf('fs-node-02'), 0, 'the channels of a removed node stay in the table');
  });
});

describe('a full node map', () => {
  let w: Wiring;
  const warnings: string[] = [];
  const removed: string[] = [];

  before(async () => {
    w = await startWiring(['fs-node-01', 'fs-node-02', 'fs-node-03'], { maxNodes: 2, warn: (m) => warnings.push(m) });
    w.web.dashboard.onUpdate((u) => removed.push(...(u.nodes_removed ?? [])));
  });

  after(async () => {
    await w?.stop();
  });

  test('keeps the nodes that answer, and a node that stops answering makes room for one left out', async () => {
    const { dashboard } = w.web;
    const all = ['fs-node-01', 'fs-node-02', 'fs-node-03'];
    await dashboardUntil(dashboard, () => dashboard.snapshot().nodes.length === 2 && warnings.length > 0, 'two nodes kept, one left out');
    // More polls with the map full of nodes that answer: the one left out is not let in.
    let polls = 0;
    const offPolls = dashboard.onUpdate((u) => {
      if ((u.nodes?.length ?? 0) > 0) polls++;
    });
    await dashboardUntil(dashboard, () => polls >= 2, 'two more polls');
    offPolls();
    const kept = ids(dashboard.snapshot().nodes);
    assert.equal(kept.length, 2);
    assert.deepEqual(removed, []);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /more than 2 nodes/);

    const stopped = kept[0]!;
    const left = all.find((id) => !kept.includes(id))!;
    await w.nodes.find((n) => n.id === stopped)!.agent.stop();
    await dashboardUntil(dashboard, () => !ids(dashboard.snapshot().nodes).includes(stopped), `${stopped} evicted`);
    assert.deepEqual(ids(dashboard.snapshot().nodes), [kept[1]!, left].sort());
    assert.deepEqual(removed, [stopped]);
  });
});

test('the channels of a forgotten node leave the table, and come back with their events if the node does', () => {
  const t = new ChannelTable();
  const create = (node: string, uuid: string): EventPayload => ({ event_name: 'CHANNEL_CREATE', timestamp: 1_700_000_000_000_000, node_id: node, uuid, headers: { 'Unique-ID': uuid } });
  t.apply(create('a', 'a1'));
  t.apply(create('b', 'b1'));
  t.apply(create('b', 'b2'));
  assert.deepEqual(t.forgetNode('b'), { upserts: [], removes: ['b1', 'b2'] });
  assert.deepEqual(t.list().map((c) => c.uuid), ['a1']);
  // Not remembered as ended: a call still up when its node comes back is shown again.
  assert.equal(t.apply({ ...create('b', 'b1'), event_name: 'CHANNEL_ANSWER' })?.upserts[0]?.uuid, 'b1');
});

describe('an answer to agent.status that cannot be read', () => {
  let w: Wiring;
  const warnings: string[] = [];

  before(async () => {
    w = await startWiring(['fs-node-01'], { warn: (m) => warnings.push(m) });
  });

  after(async () => {
    await w?.stop();
  });

  test('is said once on the server (the node it claims shows as not answering), not dropped in silence', async () => {
    const { dashboard } = w.web;
    await dashboardUntil(dashboard, () => dashboard.snapshot().nodes.length === 1, 'fs-node-01 shown');
    // A broken responder on the broadcast lane: the SDK's gather keeps its answer in badReplies.
    const nc = await connect({ servers: w.nats.url });
    try {
      nc.subscribe('freeswitch.broadcast', { callback: (_err, msg) => void msg.respond('hello <html>') });
      await nc.flush();
      await dashboardUntil(dashboard, () => warnings.some((m) => m.includes('agent.status could not be read')), 'the warning');
      const said = warnings.filter((m) => m.includes('agent.status could not be read'));
      assert.match(said[0]!, /1 answer\(s\) to agent\.status could not be read \(\(no node_id\)\): .*not JSON/);
      // Still broken at the next polls: not said again.
      let polls = 0;
      const off = dashboard.onUpdate((u) => {
        if ((u.nodes?.length ?? 0) > 0) polls++;
      });
      await dashboardUntil(dashboard, () => polls >= 2, 'two more polls');
      off();
      assert.equal(warnings.filter((m) => m.includes('agent.status could not be read')).length, 1);
      assert.deepEqual(ids(dashboard.snapshot().nodes), ['fs-node-01']);
    } finally {
      await nc.close();
    }
  });
});
