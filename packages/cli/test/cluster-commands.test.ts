// The CLI against a cluster: three simulated nodes, each bridged by a real agent, on one real
// nats-server. What the cluster review found: `status --all --expect 3` with a node down printed
// two rows and exited 0; `hangup <uuid>` without --node failed when the api lane picked a node
// without the call (it is looked up first now: hangup-lookup.test.ts); `api` did not say which node ran it, nor could it ask them all.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '@fsbus/agent';
import { connect, type FsbusClient } from '@fsbus/client';
import { agentUntil, lanesState, startCliCluster, type CliCluster } from './support/cli-cluster.js';
import { runCli, runCliMany, type CliResult } from './support/run-cli.js';

const IDS = ['node-a', 'node-b', 'node-c'] as const;

void describe('fsbus in a cluster of three nodes (child processes)', () => {
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

  void it('api names the node that ran it on stderr; --all runs it on every node, one block each', async () => {
    const [one, all, json, failed, usage] = (await runCliMany(
      [
        ['api', 'echo', 'hi'],
        ['api', 'echo', 'hi', '--all', '--expect', '3'],
        ['api', 'echo', 'hi', '--all', '--expect', 'node-a,node-b,node-c', '--json'],
        ['api', 'no_such_thing', '--all', '--expect', '3'],
        ['api', 'status', '--all', '--bg'],
      ],
      env,
    )) as [CliResult, CliResult, CliResult, CliResult, CliResult];
    assert.equal(one.code, 0, one.err);
    assert.equal(one.out, 'hi\n');
    assert.match(one.err, /^\(node node-[abc]\)\n$/);
    assert.equal(all.code, 0, all.err);
    assert.equal(all.out, '== node-a ==\nhi\n== node-b ==\nhi\n== node-c ==\nhi\n');
    assert.equal(json.code, 0, json.err);
    assert.deepEqual(
      (JSON.parse(json.out) as Array<{ node_id: string; data: string }>).map((r) => `${r.node_id}=${r.data}`),
      ['node-a=hi', 'node-b=hi', 'node-c=hi'],
    );
    assert.equal(failed.code, 1, failed.err);
    assert.match(failed.out, /^== node-a: FSBUS_ERR_BUS_COMMAND_FAILED: API command failed ==\n-ERR no_such_thing Command not found!\n/);
    assert.equal(usage.code, 2, usage.err);
  });

  void it('hangup without --node finds the call on the node that has it; a uuid no node has: exit 1, a --node hint', async () => {
    // node-b and node-c leave the api lane: a request for any node goes to node-a, which has not the call.
    for (const i of [1, 2] as const) {
      await bus.node(IDS[i]).request('agent.cordon', { node_id: IDS[i] });
      await agentUntil(agents[i]!, () => lanesState(agents[i]!) === 'left', `${IDS[i]} off the shared lanes`);
    }
    try {
      const call = await runCli(['originate', 'user/1000', '&park()', '--node', 'node-b'], env);
      assert.equal(call.code, 0, call.err);
      const uuid = call.out.trim();
      assert.equal((await bus.node('node-b').api('uuid_exists', uuid)).trim(), 'true');
      const hangup = await runCli(['hangup', uuid], env);
      assert.equal(hangup.code, 0, hangup.err);
      assert.equal(hangup.out, `hung up ${uuid}\n`);
      assert.equal(hangup.err, '(node node-b)\n');
      assert.equal((await bus.node('node-b').api('uuid_exists', uuid)).trim(), 'false');
      const [anyNode, none] = (await runCliMany([['api', 'uuid_kill', uuid], ['hangup', '0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f', '--timeout', '500']], env)) as [CliResult, CliResult];
      assert.equal(anyNode.code, 1, anyNode.err);
      assert.match(anyNode.err, /No such channel/);
      assert.match(anyNode.err, /^hint: the channel may be on another node: name it with --node <id>/m);
      assert.equal(none.code, 1, none.err);
      assert.match(none.err, /^fsbus hangup: FSBUS_ERR_BUS_SESSION_NOT_FOUND: no node has channel 0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f \(asked node-a, node-b, node-c\)$/m);
      assert.match(none.err, /^hint: check the uuid; a node that did not answer in 500 ms was not asked: .*--node <id>/m);
    } finally {
      for (const i of [1, 2] as const) await bus.node(IDS[i]).request('agent.uncordon', { node_id: IDS[i] });
    }
  });

  void it('status --all --expect not met: the missing nodes named (a list) or counted, exit 4; met: exit 0', async () => {
    await agents[2]!.stop();
    const [count, list, met, bad] = (await runCliMany(
      [
        ['status', '--all', '--expect', '3', '--timeout', '500'],
        ['status', '--all', '--expect', 'node-a,node-b,node-c', '--timeout', '500', '--json'],
        ['status', '--all', '--expect', 'node-a,node-b'],
        ['status', '--all', '--expect', 'node-a,,node-b'],
      ],
      env,
    )) as [CliResult, CliResult, CliResult, CliResult];
    assert.equal(count.code, 4, count.err);
    assert.match(count.out, /node-a[\s\S]*node-b/);
    assert.match(count.err, /^fsbus status: 1 of the 3 expected nodes did not answer$/m);
    assert.equal(list.code, 4, list.err);
    assert.equal((JSON.parse(list.out) as unknown[]).length, 2);
    assert.match(list.err, /^fsbus status: no answer from node-c \(--expect node-a,node-b,node-c\)$/m);
    assert.equal(met.code, 0, met.err);
    assert.equal(met.err, '');
    assert.equal(bad.code, 2, bad.err);
  });
});
