// `fsbus hangup <uuid>` without --node on two nodes (simulators bridged by real agents on one real
// nats-server). The operator's review: each hangup asked a node without the call to hang it up,
// so every node but the call's counted a failed request (`agent.status` counters.requests_failed,
// fsbus_request_errors_total{code="FSBUS_ERR_BUS_COMMAND_FAILED"}), and a uuid no node had was
// reported as one node's failure (`Channel hangup failed (node fs-03)`).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '@fsbus/agent';
import { connect, type FsbusClient } from '@fsbus/client';
import { agentUntil, lanesState, startCliCluster, type CliCluster } from './support/cli-cluster.js';
import { runCli, runCliMany, type CliResult } from './support/run-cli.js';

const IDS = ['node-a', 'node-b'] as const;

const failed = (agent: Agent): number => (agent.status()['counters'] as { requests_failed: number }).requests_failed;

void describe('fsbus hangup without --node: finds the node of the call, counts no failure elsewhere', () => {
  let cluster: CliCluster;
  let agents: Agent[];
  let bus: FsbusClient;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    cluster = await startCliCluster(IDS);
    ({ agents, env } = cluster);
    bus = await connect({ servers: cluster.nats.url });
  });
  after(async () => {
    await bus?.close();
    await cluster?.stop();
  });

  const originateOn = async (node: string): Promise<string> => {
    const call = await runCli(['originate', 'user/1000', '&park()', '--node', node], env);
    assert.equal(call.code, 0, call.err);
    return call.out.trim();
  };

  void it('a call on node-b: hung up there, node-a and node-b count no failed request', async () => {
    // node-b off the api lane (draining): a request for any node goes to node-a, which has not the call.
    await bus.node('node-b').request('agent.cordon', { node_id: 'node-b' });
    await agentUntil(agents[1]!, () => lanesState(agents[1]!) === 'left', 'node-b off the shared lanes');
    try {
      const uuid = await originateOn('node-b');
      const before = agents.map(failed);
      const hangup = await runCli(['hangup', uuid], env);
      assert.equal(hangup.code, 0, hangup.err);
      assert.equal(hangup.out, `hung up ${uuid}\n`);
      assert.equal(hangup.err, '(node node-b)\n');
      assert.equal((await bus.node('node-b').api('uuid_exists', uuid)).trim(), 'false');
      assert.deepEqual(agents.map(failed), before, 'requests_failed of node-a, node-b');
    } finally {
      await bus.node('node-b').request('agent.uncordon', { node_id: 'node-b' });
      await agentUntil(agents[1]!, () => lanesState(agents[1]!) !== 'left', 'node-b back on the shared lanes');
    }
    // Both on the api lane: whichever node the lane picks, none counts a failure.
    for (const node of IDS) {
      const uuid = await originateOn(node);
      const before = agents.map(failed);
      const hangup = await runCli(['hangup', uuid, 'USER_BUSY'], env);
      assert.equal(hangup.code, 0, hangup.err);
      assert.match(hangup.err, new RegExp(`^\\(node ${node}\\)\\n$`));
      assert.deepEqual(agents.map(failed), before, `requests_failed after hanging up a call on ${node}`);
    }
  });

  void it('a uuid no node has: says so naming the nodes asked, exit 1, no failure counted', async () => {
    const uuid = '0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f';
    const before = agents.map(failed);
    const none = await runCli(['hangup', uuid, '--timeout', '3000'], env);
    assert.equal(none.code, 1, none.err);
    assert.equal(none.out, '');
    assert.match(none.err, new RegExp(`^fsbus hangup: FSBUS_ERR_BUS_SESSION_NOT_FOUND: no node has channel ${uuid} \\(asked node-a, node-b\\)$`, 'm'));
    assert.doesNotMatch(none.err, /Channel hangup failed/);
    assert.match(none.err, /^hint: .*--node <id>/m);
    assert.deepEqual(agents.map(failed), before, 'requests_failed of node-a, node-b');
  });

  void it('a node that cannot look it up (FreeSWITCH away) is named, and nothing is hung up', async () => {
    await cluster.sims[1]!.stop();
    await agentUntil(agents[1]!, () => !agents[1]!.ready, 'node-b not ready');
    const uuid = await originateOn('node-a');
    const other = '3c1d2e4f-0000-4000-8000-000000000001';
    // Side by side: the lookup of a uuid nobody has waits out its window, the call is found at once.
    const [res, found] = (await runCliMany([['hangup', other, '--timeout', '3000'], ['hangup', uuid, '--timeout', '3000']], env)) as [CliResult, CliResult];
    assert.equal(res.code, 1, res.err);
    assert.match(res.err, /^fsbus hangup: FSBUS_ERR_BUS_FREESWITCH_UNAVAILABLE: .*\(node node-b\)$/m);
    assert.match(res.err, new RegExp(`^hint: node-a has no channel ${other}; node-b could not tell`, 'm'));
    // The call on node-a is still found and hung up: node-b's silence does not stop that.
    assert.equal(found.code, 0, found.err);
    assert.equal(found.err, '(node node-a)\n');
  });
});
