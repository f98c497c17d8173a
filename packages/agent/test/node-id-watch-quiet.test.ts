// The running node-id watch asks agent.status of its own node id on the broadcast lane, and the
// agent answers itself too: those self-answers were counted as requests received (and audited),
// so an agent's request counters moved by themselves — after every broker reconnect at once,
// which made counter checks after a reconnect race the watch. Its own ask is now answered without
// being counted; another agent's ask is a request like any. Real nats-server, simulator and agent.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { dec, startCluster } from './support/cluster.js';

void test("the node-id watch's own asks are answered, not counted as requests", async () => {
  const cluster = await startCluster({ agentOptions: { nodeIdWatchMs: 50 } });
  try {
    const { agent } = cluster.nodes[0]!;
    const before = (agent.status()['counters'] as Record<string, number>)['requests_received'] ?? 0;
    // One ask at a time, each waiting for its answers: the second seen means the first was answered.
    let seen = 0;
    let second: () => void = () => undefined;
    const twice = new Promise<void>((resolve) => (second = resolve));
    const sub = cluster.client.subscribe('freeswitch.broadcast', (m) => {
      if ((JSON.parse(dec(m.data)) as { command?: string }).command === 'agent.status' && ++seen === 2) second();
    });
    await cluster.client.flush();
    await twice;
    await sub.unsubscribe();
    assert.equal((agent.status()['counters'] as Record<string, number>)['requests_received'] ?? 0, before);
    assert.equal(cluster.nodes[0]!.logs.filter((l) => l['audit'] === 'command').length, 0, 'no audit line');
  } finally {
    await cluster.stop();
  }
});

// Another node's ask names that node on the broadcast lane: every agent gets it, only that node's
// answer. The others counted it as a request received, so their counters moved with a neighbour's
// watch too. A broadcast naming another node is now not this agent's request at all.
void test("another node's ask on the broadcast lane is not counted by the agents it does not name", async () => {
  const cluster = await startCluster({ nodes: 2, agentOptions: { nodeIdWatchMs: 50 } });
  try {
    const other = cluster.nodes[1]!.agent;
    const received = (): number => (other.status()['counters'] as Record<string, number>)['requests_received'] ?? 0;
    const before = received();
    let seen = 0;
    let second: () => void = () => undefined;
    const twice = new Promise<void>((resolve) => (second = resolve));
    const sub = cluster.client.subscribe('freeswitch.broadcast', (m) => {
      const body = JSON.parse(dec(m.data)) as { command?: string; node_id?: string };
      if (body.command === 'agent.status' && body.node_id === 'node-1' && ++seen === 2) second();
    });
    await cluster.client.flush();
    await twice;
    await sub.unsubscribe();
    // A request of our own after node-1's asks: node-2 has handled those before it.
    assert.equal((await cluster.request('freeswitch.node.node-2', '{"command":"agent.status"}')).success, true);
    assert.equal(received(), before + 1);
  } finally {
    await cluster.stop();
  }
});
