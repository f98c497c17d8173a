// FreeSWITCH restarts while the bus and the agent stay up (a crash: no hangup event reaches the
// bus): the dashboard reads the node's channels again once the agent's Event Socket link is back,
// so channels that no longer exist leave the table.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Simulator } from '@fsbus/sim';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

let w: Wiring;

before(async () => {
  w = await startWiring(['fs-node-01']);
});

after(async () => {
  await w?.stop();
});

test('channels of a restarted FreeSWITCH leave the dashboard once its agent reconnects', async () => {
  const node = w.nodes[0]!;
  const { dashboard } = w.web;
  const channels = (): number => dashboard.snapshot().channels.filter((c) => c.node_id === node.id).length;
  // Two polls that saw the node: the first one's channel read (when the node appeared) is done.
  let polls = 0;
  const offPolls = dashboard.onUpdate((u) => {
    if (u.nodes?.some((n) => n.node_id === node.id && n.presence === 'online') === true) polls++;
  });
  await dashboardUntil(dashboard, () => polls >= 2, 'two status polls of the node');
  offPolls();
  node.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
  await dashboardUntil(dashboard, () => channels() > 0, 'a call in the table');

  // FreeSWITCH goes away without hanging up its calls, and a fresh one starts on the same port.
  const { port } = node.agent.config.esl;
  await node.sim.stop();
  const fresh = new Simulator({ port, heartbeatIntervalMs: 0, nodeName: node.id });
  node.sim = fresh; // stopped by w.stop()
  await fresh.start();

  await dashboardUntil(dashboard, () => channels() === 0, 'the old channels to leave the table');
  assert.equal(channels(), 0);
});
