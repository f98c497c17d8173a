// A request on the shared lane naming another node is relayed by the agent that took it, through
// that node's own lane (handoff.ts), and the node's reply passed back. When either agent stops
// while the node's FreeSWITCH holds the command, the requester is told at that agent's drain
// deadline (commands.drain_timeout_ms), FSBUS_ERR_BUS_TIMEOUT "the command may have run", not left
// to wait out its own timeout (docs/agent.md, Operations → Shutdown): the relaying agent says
// "before node '<id>' answered", the node's own agent says "before FreeSWITCH answered" and that
// reply is passed on as it came. Two agents on one real broker (each driver that relays), node-2
// cordoned so that node-1 takes every shared-lane request; node-2's FreeSWITCH answers nothing in
// the test's time (the simulator's api latency), so the deadline passes for certain.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, type ReplyEnvelope } from '@fsbus/contract';
import { startMosquitto, startRabbitMq, startRedis } from '@fsbus/testkit';
import { counter, startCluster, until, type Cluster, type ClusterOptions, type Node } from './support/cluster.js';
import { linesOf } from './support/fault-rig.js';

const CUT_OFF_LOG = 'commands cut off at the drain deadline';
/** Far beyond the drain deadline (0.2 s): a reply before it is the cut-off's, not the requester's own timeout. */
const REQUESTER_WAIT_MS = 60_000;

/** node-2 cordoned (node-1 takes the shared lanes alone) and its FreeSWITCH silent; a status for node-2 sent on the shared lane, once node-2 runs it. */
async function relayedToSilentNode2(cluster: Cluster): Promise<{ n1: Node; n2: Node; reply: Promise<ReplyEnvelope> }> {
  const [n1, n2] = [cluster.nodes[0]!, cluster.nodes[1]!];
  const cordoned = await cluster.request('freeswitch.node.node-2', '{"command":"agent.cordon"}');
  assert.equal(cordoned.success, true, cordoned.message);
  await until(n2.agent, () => (n2.agent.status()['shared_lanes'] as { state: string }).state === 'left', 'node-2 off the shared lanes');
  n2.sim.core.control.setLatency(600_000);
  const reply = cluster.request('freeswitch.api', '{"command":"status","node_id":"node-2"}', REQUESTER_WAIT_MS);
  await until(n2.agent, () => counter(n2, 'in_flight') === 1, 'the relayed status running on node-2');
  return { n1, n2, reply };
}

function stopCutOffSuite(driver: string, options: Omit<ClusterOptions, 'driver' | 'nodes' | 'config'> = {}): void {
  void describe(`${driver}: a relayed hand-off cut off by a stop`, () => {
    let cluster: Cluster;
    before(async () => {
      cluster = await startCluster({ ...options, nodes: 2, driver, config: { commands: { drain_timeout_ms: 200 } } });
    });
    after(() => cluster.stop());

    void test(`${driver}: the relaying agent stops: the requester is told at its drain deadline that node-2 did not answer (FSBUS_ERR_BUS_TIMEOUT, may have run), counted in its warn line`, async () => {
      const { n1, reply } = await relayedToSilentNode2(cluster);
      await n1.agent.stop();
      const r = await reply;
      assert.deepEqual([r.success, r.code, r.message], [false, BusErrorCode.TIMEOUT, "the agent stopped before node 'node-2' answered (its drain deadline, 0.2 s): the command may have run"]);
      const warned = linesOf(n1.logs, CUT_OFF_LOG);
      assert.equal(warned.length, 1, JSON.stringify(n1.logs.filter((l) => (l['level'] as number) >= 40)));
      assert.deepEqual([warned[0]!['cut_off'], warned[0]!['drain_timeout_ms']], [1, 200]);
    });
  });

  void describe(`${driver}: a relayed hand-off whose node stops`, () => {
    let cluster: Cluster;
    before(async () => {
      cluster = await startCluster({ ...options, nodes: 2, driver, config: { commands: { drain_timeout_ms: 200 } } });
    });
    after(() => cluster.stop());

    void test(`${driver}: the node's agent stops: its cut-off reply (FSBUS_ERR_BUS_TIMEOUT, may have run) is passed on by the relaying agent as it came`, async () => {
      const { n2, reply } = await relayedToSilentNode2(cluster);
      await n2.agent.stop();
      const r = await reply;
      assert.deepEqual([r.success, r.code, r.node_id, r.message], [false, BusErrorCode.TIMEOUT, 'node-2', 'the agent stopped before FreeSWITCH answered (its drain deadline, 0.2 s): the command may have run']);
      assert.equal(linesOf(n2.logs, CUT_OFF_LOG)[0]?.['cut_off'], 1);
    });
  });
}

stopCutOffSuite('nats');
stopCutOffSuite('redis', { startBroker: () => startRedis() });
stopCutOffSuite('amqp', { startBroker: () => startRabbitMq() });
stopCutOffSuite('mqtt', { startBroker: () => startMosquitto() });
