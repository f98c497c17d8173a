// FreeSWITCH's events stalled (the simulator's delivery paused) under a node that stays online and
// ready: its rows showed calls that had ended, durations ticking, without a word. No event from a
// node's FreeSWITCH (its agent's events_received still, none on the bus) for longer than the
// dashboard's bound (eventStallMs: 2.5 HEARTBEAT intervals by default) is said on the card
// (`events_stalled_since`), cleared when events come again, and its channels are read again then.
// Real nats-server, agent and simulator; the dashboard's clock is the test's (it jumps past the
// bound at each update, so no wall-clock wait decides anything).
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { NodeView } from '@fsbus/web';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

const NODE = 'fs-node-01';
const STALL_MS = 50_000;

let w: Wiring;
let now = Date.now();

before(async () => {
  w = await startWiring([NODE], { clock: () => now, eventStallMs: STALL_MS });
});

after(async () => {
  await w?.stop();
});

test('no FreeSWITCH event for longer than the bound: the card says since when; events again clear it', async () => {
  const { dashboard } = w.web;
  const n = w.nodes[0]!;
  const node = (): NodeView | undefined => dashboard.snapshot().nodes.find((x) => x.node_id === NODE);
  const calls = (): number => dashboard.snapshot().channels.length;
  await dashboardUntil(dashboard, () => node() !== undefined && !dashboard.snapshot().first_poll_pending, 'the node read');
  const uuid = n.sim.core.control.placeInboundCall({ to: '7001', hangupAfterMs: 600_000 });
  // Told by its events (not only a channel read): they flow before the pause.
  await dashboardUntil(dashboard, () => dashboard.channel(uuid) !== undefined && dashboard.timeline(uuid).events.length > 0, 'the call listed from its events');
  assert.equal(node()?.events_stalled_since, undefined);

  n.sim.control.pauseEvents();
  // The call ends in FreeSWITCH; its hangup is held with every other event.
  n.sim.core.control.hupall('NORMAL_CLEARING');
  const pausedAt = now;
  // Each update moves the dashboard's clock past the bound: the first poll that finds no new event since is the one.
  await dashboardUntil(
    dashboard,
    () => {
      now += STALL_MS + 1;
      return node()?.events_stalled_since !== undefined;
    },
    'the stall said on the card',
  );
  const stalled = node()!;
  assert.equal(stalled.presence, 'online');
  assert.ok(stalled.events_stalled_since! >= pausedAt, 'since the last event seen');
  assert.notEqual(dashboard.channel(uuid), undefined, 'the ended call still listed (its row shown stale)');

  n.sim.control.resumeEvents();
  await dashboardUntil(dashboard, () => node()?.events_stalled_since === undefined, 'the stall cleared');
  await dashboardUntil(dashboard, () => calls() === 0, 'the ended calls gone');
});
