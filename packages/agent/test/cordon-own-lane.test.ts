// `agent.cordon` / `agent.uncordon` on the node's own lane (`<prefix>.node.<id>`): the subject names
// the node, so no `node_id` is needed (the CLI's `--node` and the SDK's `client.node(id)` send none;
// both were refused). Where nothing names the node (the shared and broadcast lanes) it still must,
// and a `node_id` naming another node is refused on any lane: a cordon never lands by chance.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { Agent } from '@fsbus/agent';
import { BusErrorCode } from '@fsbus/contract';
import { startCluster, until, type Cluster } from './support/cluster.js';

interface SharedLanesStatus {
  state: string;
  cordoned: boolean;
}
const shared = (agent: Agent) => agent.status()['shared_lanes'] as SharedLanesStatus | undefined;

void describe('agent.cordon on the node own lane', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ nodes: 2 });
    for (const n of cluster.nodes) await until(n.agent, () => shared(n.agent)?.state === 'joined', `${n.id} on the shared lanes`);
  });
  after(() => cluster.stop());

  void test('without node_id on <prefix>.node.<id>: applied; uncordon the same way', async () => {
    const n1 = cluster.nodes[0]!;
    const cordoned = await cluster.request('freeswitch.node.node-1', '{"command":"agent.cordon"}');
    assert.deepEqual([cordoned.success, cordoned.node_id, cordoned.message], [true, 'node-1', 'Node cordoned: shared lanes left, its own lane still served']);
    await until(n1.agent, () => shared(n1.agent)?.state === 'left', 'node-1 cordoned');
    assert.deepEqual(shared(n1.agent), { state: 'left', cordoned: true });
    assert.deepEqual(shared(cluster.nodes[1]!.agent), { state: 'joined', cordoned: false });

    const un = await cluster.request('freeswitch.node.node-1', '{"command":"agent.uncordon"}');
    assert.deepEqual([un.success, un.node_id], [true, 'node-1'], un.message);
    await until(n1.agent, () => shared(n1.agent)?.state === 'joined', 'node-1 uncordoned');
    assert.equal(shared(n1.agent)?.cordoned, false);
  });

  void test('a node_id naming another node is refused, also on the node own lane', async () => {
    const n1 = cluster.nodes[0]!;
    const r = await cluster.request('freeswitch.node.node-1', '{"command":"agent.cordon","node_id":"node-2"}');
    assert.deepEqual([r.success, r.code, r.node_id, r.message], [false, BusErrorCode.INVALID_ARGUMENT, 'node-1', "agent.cordon for node node-1 names another node in node_id ('node-2'): nothing changed"]);
    assert.deepEqual(shared(n1.agent), { state: 'joined', cordoned: false });
    assert.deepEqual(shared(cluster.nodes[1]!.agent), { state: 'joined', cordoned: false });
  });

  void test('bare on the shared lane: refused by whichever node took it, nothing cordoned', async () => {
    const r = await cluster.request('freeswitch.api', '{"command":"agent.cordon"}');
    assert.equal(r.success, false);
    assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(r.message, `agent.cordon must name its node in node_id ('${r.node_id}') or be sent on the node's own lane (<prefix>.node.<id>)`);
    for (const n of cluster.nodes) assert.deepEqual(shared(n.agent), { state: 'joined', cordoned: false });
  });
});
