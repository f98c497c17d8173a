// What a node card tells besides presence and links. A cordoned node (agent.cordon: off the
// shared lanes, its own lane served) looked healthy: the card dropped agent.status's
// `shared_lanes`. A node whose FreeSWITCH stopped (agent up, `esl: reconnecting`) kept its calls
// listed as live with nothing saying since when they could not be checked: the card says it in
// `esl_down_since`, the calls stay listed (as an offline node's) until FreeSWITCH is read again.
// Real nats-server, agents and simulators.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { NodeView, Snapshot } from '@fsbus/web';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Simulator } from '@fsbus/sim';
import { readNodeStatus } from '../src/node-status.js';
import { dashboardUntil, startWiring, type Wiring } from './support/wiring.js';

let w: Wiring;
let nc: NatsConnection;

before(async () => {
  w = await startWiring(['fs-node-01', 'fs-node-02']);
  nc = await connect({ servers: w.nats.url });
});

after(async () => {
  await nc?.close();
  await w?.stop();
});

const node = (id: string): NodeView | undefined => w.web.dashboard.snapshot().nodes.find((n) => n.node_id === id);
const lanesOf = (n: NodeView | undefined): unknown => n?.status['shared_lanes'];

async function apiSnapshot(): Promise<Snapshot> {
  const res = await fetch(new URL('/api/snapshot', w.web.url));
  assert.equal(res.status, 200);
  return (await res.json()) as Snapshot;
}

async function request(id: string, command: string): Promise<void> {
  const reply = JSON.parse(new TextDecoder().decode((await nc.request(`freeswitch.node.${id}`, JSON.stringify({ command, node_id: id }), { timeout: 10_000 })).data)) as { success: boolean; message: string };
  assert.equal(reply.success, true, reply.message);
}

test('readNodeStatus keeps shared_lanes (state cut, cordoned a boolean) and drops the rest of it', () => {
  const read = readNodeStatus({ node_id: 'n1', shared_lanes: { state: 'left', cordoned: true, other: 'x' } }, 'n1');
  assert.ok(!(read instanceof Error));
  assert.deepEqual(read.status['shared_lanes'], { state: 'left', cordoned: true });
  const odd = readNodeStatus({ node_id: 'n1', shared_lanes: { state: 3, cordoned: 'yes' } }, 'n1');
  assert.ok(!(odd instanceof Error));
  assert.equal(odd.status['shared_lanes'], undefined);
});

test('a cordoned node: its card carries shared_lanes.cordoned (snapshot and /api/snapshot), gone once uncordoned', async () => {
  const { dashboard } = w.web;
  await dashboardUntil(dashboard, () => (lanesOf(node('fs-node-01')) as { state?: unknown } | undefined)?.state === 'joined', 'fs-node-01 shown on the shared lanes');
  await request('fs-node-01', 'agent.cordon');
  // Cordoned, the node leaves the shared lanes ('leaving' while its reads drain, then 'left').
  await dashboardUntil(dashboard, () => {
    const lanes = lanesOf(node('fs-node-01')) as { cordoned?: unknown; state?: unknown } | undefined;
    return lanes?.cordoned === true && lanes.state === 'left';
  }, 'fs-node-01 shown cordoned, off the shared lanes');
  const fromApi = (await apiSnapshot()).nodes.find((n) => n.node_id === 'fs-node-01');
  assert.deepEqual(lanesOf(fromApi), { state: 'left', cordoned: true });
  assert.deepEqual(lanesOf(node('fs-node-02')), { state: 'joined', cordoned: false });

  await request('fs-node-01', 'agent.uncordon');
  await dashboardUntil(dashboard, () => (lanesOf(node('fs-node-01')) as { state?: unknown } | undefined)?.state === 'joined', 'fs-node-01 back on the shared lanes');
  assert.deepEqual(lanesOf(node('fs-node-01')), { state: 'joined', cordoned: false });
});

test('a node whose FreeSWITCH stopped: esl_down_since on its card while its calls stay listed; cleared once FreeSWITCH is back', async () => {
  const { dashboard } = w.web;
  const n = w.nodes[1]!;
  const calls = (): number => dashboard.snapshot().channels.filter((c) => c.node_id === n.id).length;
  n.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, holdMs: 600_000, answerRatio: 1 });
  await dashboardUntil(dashboard, () => calls() > 0, 'a call of fs-node-02 listed');
  assert.equal(node(n.id)?.esl_down_since, undefined);

  const { port } = n.agent.config.esl;
  const stoppedAt = Date.now();
  await n.sim.stop();
  await dashboardUntil(dashboard, () => node(n.id)?.esl_down_since !== undefined, 'fs-node-02 shown with FreeSWITCH down');
  const down = node(n.id)!;
  assert.equal(down.presence, 'online');
  assert.notEqual((down.status['esl'] as { status?: unknown }).status, 'ready');
  assert.ok(down.esl_down_since! >= stoppedAt, `esl_down_since ${down.esl_down_since} is after the stop (${stoppedAt})`);
  // Kept, as an offline node's calls are: the page greys them from the node's card.
  assert.ok(calls() > 0);
  const fromApi = await apiSnapshot();
  assert.equal(fromApi.nodes.find((x) => x.node_id === n.id)?.esl_down_since, down.esl_down_since);
  assert.ok(fromApi.channels.some((c) => c.node_id === n.id));
  assert.equal(node('fs-node-01')?.esl_down_since, undefined);

  const fresh = new Simulator({ port, heartbeatIntervalMs: 0, nodeName: n.id });
  n.sim = fresh; // stopped by w.stop()
  await fresh.start();
  await dashboardUntil(dashboard, () => node(n.id)?.esl_down_since === undefined && calls() === 0, 'FreeSWITCH back: esl_down_since gone, the old calls read away');
});
