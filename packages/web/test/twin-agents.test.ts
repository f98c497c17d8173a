// Two agents on one FreeSWITCH (a misconfiguration the dashboard must survive): node-c started on
// node-b's Event Socket took node-b's calls (its channel read listed them); once node-c stopped,
// they stayed node-c's — greyed "its node is offline", hangup off — though node-b, online, serves
// them, until node-c's retention ended. A node going offline has the online nodes of its
// FreeSWITCH (same Core-UUID) read again, and an online node's event claims a call of an offline
// node; while both run, each card names the other. Real nats-server, agents and simulator.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import type { NodeView } from '@fsbus/web';
import { agentUntil, dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

let w: Wiring;
let twin: Agent | undefined;

before(async () => {
  w = await startWiring(['node-b']);
});

after(async () => {
  await twin?.stop();
  await w?.stop();
});

test('a second agent on the same FreeSWITCH stops: its calls go back to the node still serving them', async () => {
  const { dashboard } = w.web;
  const b = w.nodes[0]!;
  const node = (id: string): NodeView | undefined => dashboard.snapshot().nodes.find((n) => n.node_id === id);
  const owners = (): string[] => [...new Set(dashboard.snapshot().channels.map((c) => c.node_id))];
  b.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 100, holdMs: 600_000, answerRatio: 1 });
  await dashboardUntil(dashboard, () => dashboard.snapshot().channels.length > 0 && owners().join() === 'node-b', "node-b's calls listed");

  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  twin = new Agent(
    loadConfig({
      values: {
        node_id: 'node-c',
        broker: { urls: [w.nats.url] },
        esl: { host: '127.0.0.1', port: b.agent.config.esl.port },
        metrics: { port: 0, host: '127.0.0.1' },
        dialplan: { port: 0, host: '127.0.0.1' },
      },
      env: {},
    }),
    { logger: pino({ level: 'warn' }, quiet) },
  );
  await twin.start();
  await agentUntil(twin, () => twin!.ready, 'node-c ready');
  // node-c's channel read lists node-b's calls: they move to node-c (each read claims what it lists).
  await dashboardUntil(dashboard, () => owners().join() === 'node-c', 'the calls listed under node-c');
  const calls = dashboard.snapshot().channels.length;
  // Both see the same events: the cards say they share one FreeSWITCH.
  await dashboardUntil(
    dashboard,
    () => node('node-b')?.same_freeswitch?.nodes.join() === 'node-c' && node('node-c')?.same_freeswitch?.nodes.join() === 'node-b',
    'each card names the other agent on its FreeSWITCH',
  );

  await twin.stop();
  twin = undefined;
  await dashboardUntil(dashboard, () => node('node-c')?.presence === 'offline', 'node-c offline');
  await dashboardUntil(dashboard, () => owners().join() === 'node-b', 'the calls back under node-b', 10_000);
  assert.equal(dashboard.snapshot().channels.length, calls);
  await dashboardUntil(dashboard, () => node('node-b')?.same_freeswitch === undefined, 'node-b alone on its FreeSWITCH again');
});
