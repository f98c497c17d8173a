// agent.status `counters.in_flight` counts the bus commands running on FreeSWITCH, as /metrics'
// fsbus_commands_in_flight does: not the agent.status request reading it (it said 1 when idle, so
// the documented "cordon, wait for in_flight 0" never ended), nor the cordon itself.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { loadConfig } from '@fsbus/agent';
import { startCluster, type Cluster } from './support/cluster.js';
import { httpGet } from './support/http-get.js';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster();
});
after(() => cluster.stop());

void test('cordoned and idle: agent.status over the bus says in_flight 0, as /metrics does', async () => {
  const lane = 'freeswitch.node.node-1';
  const cordoned = await cluster.request(lane, '{"command":"agent.cordon"}');
  assert.equal(cordoned.success, true, cordoned.message);
  const status = await cluster.request(lane, '{"command":"agent.status"}');
  assert.equal(status.success, true, status.message);
  assert.equal((status.data as { counters: Record<string, number> }).counters['in_flight'], 0);
  const node = cluster.nodes[0]!;
  const metrics = await httpGet(node.agent.httpPort!, '/metrics');
  assert.match(metrics.body, /^fsbus_commands_in_flight{node_id="node-1"} 0$/m);
});

void test('/metrics, /healthz and /readyz listen on loopback unless metrics.host opens them', () => {
  // No authentication on them: every interface would show the node's counters to its network.
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1' } }).metrics.host, '127.0.0.1');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_METRICS_HOST: '0.0.0.0' } }).metrics.host, '0.0.0.0');
});
