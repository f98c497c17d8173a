// Two agents answering for one node id (the first frozen through the second's start-up check, then
// back): statusAll() kept the first answer and only counted the second in `duplicates`, which a copy
// the broker delivered twice also counts — an SDK user could not tell a second agent from a copy,
// nor see which instances conflict. The statuses of the other agents are now in `otherAgents`, told
// from copies by `instance_id` (an older agent's: hostname and pid); `duplicates` counts as before.
// Real agents on a real nats-server; copies and older agents' statuses from a scripted responder.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { expectTypeOf } from 'expect-type';
import { Agent, loadConfig } from '@fsbus/agent';
import { encodeReply, errorReply, successReply } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { startBrokerRelay, startNatsServer } from '@fsbus/testkit';
import { connect, type AgentStatus, type StatusAllResult } from '../src/index.js';
import { fullStatus } from './support/agent-status.js';
import { scriptedBroadcast } from './support/scripted-broadcast.js';
import { untilAgent } from './support/stack.js';

const statusOf = (nodeId: string, message: string, identity: Record<string, unknown>): Uint8Array =>
  encodeReply(successReply({ nodeId, message, data: { ...fullStatus(nodeId), ...identity } }));

expectTypeOf<StatusAllResult['otherAgents']>().toEqualTypeOf<readonly AgentStatus[]>();

void describe('statusAll: other agents answering for a node id', () => {
  void it('nats, real agents: fs-b served by two agents (one frozen through the other\'s start): one row, the other agent in otherAgents', async () => {
    const nats = await startNatsServer();
    const relay = await startBrokerRelay(Number(new URL(nats.url).port));
    const sims: Simulator[] = [];
    const agents: Agent[] = [];
    const agentFor = async (nodeId: string, url: string): Promise<Agent> => {
      const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: nodeId });
      sims.push(sim);
      const { port } = await sim.start();
      const values = { node_id: nodeId, log_level: 'silent', broker: { urls: [url] }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false } };
      // The agents' own watch does not run here: the SDK sees it by itself.
      const agent = new Agent(loadConfig({ values, env: {} }), { nodeIdWatchMs: 3_600_000 });
      agents.push(agent);
      await agent.start();
      await untilAgent(agent, () => agent.ready, `${nodeId} ready`);
      return agent;
    };
    const bus = await connect({ servers: nats.url, timeoutMs: 5000 });
    try {
      await agentFor('fs-a', nats.url);
      const a = await agentFor('fs-b', `nats://127.0.0.1:${relay.port}`);
      // A holds fs-b's lane but answers nothing: B's start-up check waits its bound and starts.
      relay.freeze();
      const b = await agentFor('fs-b', nats.url);
      relay.thaw();
      // A's link passes bytes again: a round trip through it.
      await a.driver!.flush();

      const all = await bus.statusAll({ timeoutMs: 3000 });
      assert.deepEqual(
        all.map((s) => s.node_id),
        ['fs-a', 'fs-b'],
        'one row per node, as before',
      );
      assert.equal(all.duplicates, 1, 'the second answer still counted');
      assert.notEqual(all.otherAgents, undefined, 'otherAgents is there');
      assert.deepEqual(
        all.otherAgents.map((s) => s.node_id),
        ['fs-b'],
      );
      const seen = [all[1]!, all.otherAgents[0]!].map((s) => s['instance_id']).sort();
      assert.deepEqual(seen, [a, b].map((x) => x.status()['instance_id']).sort(), 'both instances, each once');
      for (const x of [a, b]) assert.ok([all[1]!, all.otherAgents[0]!].some((s) => s['pid'] === x.status()['pid'] && s['hostname'] === x.status()['hostname']));
      assert.deepEqual(Object.keys(all), ['0', '1'], 'otherAgents is not enumerable');
      assert.equal(JSON.stringify(all).includes(String(all.otherAgents[0]!['instance_id'])), false, 'nor serialized');
    } finally {
      await bus.close();
      for (const x of agents) await x.stop();
      await relay.close();
      for (const s of sims) await s.stop();
      await nats.stop();
    }
  });

  void describe('scripted answers', () => {
    const rig = scriptedBroadcast(15_000);

    void it('a copy of one agent\'s status (the broker delivered it twice) is a duplicate, not another agent', async () => {
      const copy = statusOf('node-a', 'ok', { hostname: 'box-a', pid: 812, instance_id: 'i-1' });
      const sub = await rig.answering([copy, copy, statusOf('node-b', 'ok', { hostname: 'box-b', pid: 9, instance_id: 'i-9' })]);
      try {
        const all = await rig.bus.statusAll({ expect: 2 });
        assert.deepEqual(
          all.map((s) => s.node_id),
          ['node-a', 'node-b'],
        );
        assert.equal(all.duplicates, 1);
        assert.deepEqual(all.otherAgents, []);
      } finally {
        sub.unsubscribe();
      }
    });

    void it('other instances of a node in the list, each once, in the order they came; an error envelope or an unreadable status of the node is not one', async () => {
      const first = statusOf('node-a', 'first', { hostname: 'box-a', pid: 812, instance_id: 'i-1' });
      const second = statusOf('node-a', 'second', { hostname: 'box-b', pid: 4410, instance_id: 'i-2' });
      // An older agent: no instance_id, told apart by hostname and pid.
      const older = statusOf('node-a', 'older', { hostname: 'box-c', pid: 77 });
      const failing = encodeReply(errorReply({ nodeId: 'node-a', code: 'FSBUS_ERR_BUS_SHUTTING_DOWN', message: 'shutting down' }));
      const incomplete = encodeReply(successReply({ nodeId: 'node-a', message: 'incomplete', data: { node_id: 'node-a', hostname: 'box-d', pid: 5, instance_id: 'i-4' } }));
      const sub = await rig.answering([first, second, failing, second, incomplete, older, statusOf('node-b', 'ok', {})]);
      try {
        const all = await rig.bus.statusAll({ expect: 2 });
        assert.deepEqual(
          all.map((s) => `${s.node_id}:${String(s['instance_id'])}`),
          ['node-a:i-1', 'node-b:undefined'],
        );
        const others: AgentStatus[] = [...all.otherAgents];
        assert.deepEqual(
          others.map((s) => `${s.node_id}:${String(s['hostname'])}:${String(s['pid'])}`),
          ['node-a:box-b:4410', 'node-a:box-c:77'],
        );
        assert.equal(all.duplicates, 5, 'every later answer of node-a counted, as before');
        assert.deepEqual(all.failures, [], 'a failure after a status is a duplicate, as before');
        assert.deepEqual(all.badReplies, []);
      } finally {
        sub.unsubscribe();
      }
    });
  });
});
