// The status poll's rhythm and its first round: polls start every pollIntervalMs (not the interval
// after the gather ended), and until the first poll has ended the snapshot says so (a restarted
// dashboard is not "0 nodes, 0 channels"). Real nats-server, agent, simulator.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { Snapshot } from '@fsbus/web';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

const INTERVAL_MS = 1000;
const GATHER_MS = 600;

describe('the status poll', () => {
  let w: Wiring;

  before(async () => {
    w = await startWiring(['fs-node-01'], { pollIntervalMs: INTERVAL_MS, gatherTimeoutMs: GATHER_MS });
  });

  after(async () => {
    await w?.stop();
  });

  test('starts every pollIntervalMs while the gather is shorter: last_seen steps by the interval, not interval + gather', async () => {
    const { dashboard } = w.web;
    const seen: number[] = [];
    const off = dashboard.onUpdate((u) => {
      for (const n of u.nodes ?? []) if (n.node_id === 'fs-node-01' && n.last_seen !== seen.at(-1)) seen.push(n.last_seen);
    });
    await dashboardUntil(dashboard, () => seen.length >= 6, 'six polls');
    off();
    const steps = seen.slice(1).map((t, i) => t - seen[i]!).sort((a, b) => a - b);
    // A poll started gatherTimeoutMs + the interval after the one before is at least that far apart:
    // the median step must be below it (it is about the interval).
    const median = steps[Math.floor(steps.length / 2)]!;
    assert.ok(median < INTERVAL_MS + GATHER_MS, `polls ${median} ms apart (steps ${steps.join(', ')}), not every ${INTERVAL_MS} ms`);
  });

  test('a restarted dashboard says its first poll is pending until it ended, then has the node', async () => {
    await w.web.close();
    const web = await w.restartWeb({ gatherTimeoutMs: 1000 });
    const first: Snapshot = web.dashboard.snapshot();
    assert.equal(first.first_poll_pending, true, 'the snapshot before the first poll ended');
    assert.deepEqual(first.nodes, []);
    let told = false;
    web.dashboard.onUpdate((u) => {
      if (u.first_poll_pending === false) told = true;
    });
    await dashboardUntil(web.dashboard, () => told, 'an update saying the first poll ended');
    const after = web.dashboard.snapshot();
    assert.equal(after.first_poll_pending, false);
    assert.deepEqual(after.nodes.map((n) => n.node_id), ['fs-node-01']);
  });
});
