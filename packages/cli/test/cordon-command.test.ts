// `fsbus cordon <node>` / `fsbus uncordon <node>` and what `status` says of a cordoned node, against
// two real agents on simulated FreeSWITCH nodes and one real nats-server (child processes). The
// operator's review: the shipped tools could not cordon a node (`api --node fs-01 agent.cordon`
// was refused for want of node_id), and a cordoned node showed as `connected  ready`, exit 0.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startedAgent } from '../../agent/test/support/agent-process.js';
import { agentUntil, startCliCluster, type CliCluster } from './support/cli-cluster.js';
import { runCli, runCliMany, type CliResult } from './support/run-cli.js';

const IDS = ['node-a', 'node-b'] as const;

const lanes = (agent: Agent): { state: string; cordoned: boolean } => agent.status()['shared_lanes'] as { state: string; cordoned: boolean };

void describe('fsbus cordon / uncordon and the LANES column of status', () => {
  let cluster: CliCluster;
  let agents: Agent[];
  let env: NodeJS.ProcessEnv;
  before(async () => {
    cluster = await startCliCluster(IDS);
    ({ agents, env } = cluster);
  });
  after(() => cluster?.stop());

  void it('cordon takes the node off the shared lanes; status --all shows it cordoned; uncordon brings it back', async () => {
    const [a, b] = agents as [Agent, Agent];
    const healthy = await runCli(['status', '--all', '--expect', 'node-a,node-b'], env);
    assert.equal(healthy.code, 0, healthy.err);
    assert.match(healthy.out, /^NODE\s+VERSION\s+UPTIME\s+DRIVER\s+BROKER\s+ESL\s+LANES\s+READY\s+REQUESTS ok\/failed/);
    assert.match(healthy.out, /^node-a\s+\S+\s+\S+\s+nats\s+connected\s+ready\s+joined\s+yes\s/m);

    const cordoned = await runCli(['cordon', 'node-a'], env);
    assert.equal(cordoned.code, 0, cordoned.err);
    assert.match(cordoned.out, /^node-a cordoned: off the shared lanes \((leaving|left)\), its own lane still served\n/);
    assert.match(cordoned.out, /`fsbus uncordon node-a` ends it/);
    await agentUntil(a, () => lanes(a).state === 'left', 'node-a off the shared lanes');
    assert.deepEqual(lanes(b), { state: 'joined', cordoned: false });

    // Side by side: none of the three changes the state the others read (a second cordon is a no-op).
    const [all, json, again] = (await runCliMany([['status', '--all', '--expect', 'node-a,node-b'], ['status', '--node', 'node-a', '--json'], ['cordon', 'node-a', '--json']], env)) as [CliResult, CliResult, CliResult];
    assert.equal(all.code, 0, all.err);
    assert.match(all.out, /^node-a\s+\S+\s+\S+\s+nats\s+connected\s+ready\s+cordoned\s+yes\s/m);
    assert.match(all.out, /^node-b\s+\S+\s+\S+\s+nats\s+connected\s+ready\s+joined\s/m);
    assert.equal(json.code, 0, json.err);
    assert.deepEqual((JSON.parse(json.out) as { shared_lanes: unknown }).shared_lanes, { state: 'left', cordoned: true });

    assert.equal(again.code, 0, again.err);
    const envelope = JSON.parse(again.out) as { success: boolean; node_id: string; data: { shared_lanes: unknown } };
    assert.deepEqual([envelope.success, envelope.node_id, envelope.data.shared_lanes], [true, 'node-a', { state: 'left', cordoned: true }]);

    const un = await runCli(['uncordon', 'node-a'], env);
    assert.equal(un.code, 0, un.err);
    assert.match(un.out, /^node-a uncordoned: shared lanes (joining|joined) \(FreeSWITCH ready\)\n/);
    await agentUntil(a, () => lanes(a).state === 'joined', 'node-a back on the shared lanes');
    assert.deepEqual(lanes(a), { state: 'joined', cordoned: false });
  });

  void it('api --node <id> agent.cordon works too (the node own lane names it)', async () => {
    const a = agents[0]!;
    const r = await runCli(['api', '--node', 'node-a', 'agent.cordon'], env);
    assert.equal(r.code, 0, r.err);
    await agentUntil(a, () => lanes(a).state === 'left', 'node-a cordoned by api --node');
    const u = await runCli(['api', '--node', 'node-a', 'agent.uncordon'], env);
    assert.equal(u.code, 0, u.err);
    await agentUntil(a, () => lanes(a).state === 'joined', 'node-a uncordoned by api --node');
  });

  void it('every node cordoned: a command on the shared lane says cordoned among the causes', async () => {
    for (const r of await runCliMany(IDS.map((id) => ['cordon', id]), env)) assert.equal(r.code, 0);
    for (const a of agents) await agentUntil(a, () => lanes(a).state === 'left', 'cordoned');
    const r = await runCli(['api', 'status'], env);
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /^hint: no agent is ready for this prefix: none running, none has FreeSWITCH ready \(ESL down or refused\), or all are cordoned/m);
    for (const r of await runCliMany(IDS.map((id) => ['uncordon', id]), env)) assert.equal(r.code, 0);
    for (const a of agents) await agentUntil(a, () => lanes(a).state === 'joined', 'uncordoned');
  });

  void it('a node whose agent was SIGKILLed is absent from status --all (exit 0): only --expect notices (exit 4)', async () => {
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: 'node-c' });
    const { port } = await sim.start();
    const c = await startedAgent('node-c', cluster.nats.url, port);
    try {
      const three = await runCli(['status', '--all', '--expect', 'node-a,node-b,node-c'], env);
      assert.equal(three.code, 0, three.err);
      assert.match(three.out, /^node-c\s/m);
      c.child.kill('SIGKILL');
      assert.equal((await c.exited).signal, 'SIGKILL');
      // Both wait out their 3 s window: side by side.
      const [all, expected] = (await runCliMany([['status', '--all', '--timeout', '3000'], ['status', '--all', '--expect', 'node-a,node-b,node-c', '--timeout', '3000']], env)) as [CliResult, CliResult];
      assert.equal(all.code, 0, all.err);
      assert.doesNotMatch(all.out, /^node-c\s/m);
      assert.match(all.out, /^node-a\s[\s\S]*^node-b\s/m);
      assert.equal(expected.code, 4, expected.err);
      assert.match(expected.err, /^fsbus status: no answer from node-c \(--expect node-a,node-b,node-c\)$/m);
    } finally {
      c.kill();
      await sim.stop();
    }
  });

  void it('usage errors (exit 2) before connecting; a node nobody serves: exit 4 with a hint', async () => {
    const [none, two, help, missing] = (await runCliMany([['cordon'], ['uncordon', 'node-a', 'node-b'], ['cordon', '--help'], ['cordon', 'node-z']], env)) as [CliResult, CliResult, CliResult, CliResult];
    assert.equal(none.code, 2, none.err);
    assert.match(none.err, /^fsbus cordon: give the node to cordon: fsbus cordon <node>; see fsbus cordon --help$/m);
    assert.equal(two.code, 2, two.err);
    assert.match(two.err, /^fsbus uncordon: unexpected argument "node-b"/m);
    assert.equal(help.code, 0);
    assert.match(help.out, /^usage: fsbus cordon <node>/);
    assert.equal(missing.code, 4, missing.err);
    assert.match(missing.err, /FSBUS_ERR_CLIENT_NO_RESPONDERS/);
    assert.match(missing.err, /^hint: no agent serves node node-z for this prefix/m);
  });
});
