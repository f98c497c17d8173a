// Redis: a request naming a node nobody serves is answered NODE_UNAVAILABLE at once. A lane stream
// of that node left by someone else — a client's raw XADD (which makes the stream), or a crashed
// agent's consumer group once another agent of that node has left — made the hand-off take the
// lane for served: every such request waited out its timeout.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { BusErrorCode } from '@fsbus/contract';
import { startCluster, type Cluster } from './support/cluster.js';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ nodes: 2, driver: 'redis', startBroker: () => startRedis() });
});
after(() => cluster.stop());

void test("redis: after a raw XADD made node ghost's lane stream, a request naming ghost is still answered NODE_UNAVAILABLE; a served node is still handed its requests", async () => {
  const raw = new Redis(cluster.broker.url);
  try {
    const ask = (i: number) => cluster.request('freeswitch.api', `{"command":"status","node_id":"ghost","timeout_ms":500,"correlation_id":"g${i}"}`, 60_000);
    assert.equal((await ask(0)).code, BusErrorCode.NODE_UNAVAILABLE);
    // The reviewer's reproduction: a client writing the node's lane as a request, no NOMKSTREAM.
    await raw.xadd('freeswitch:lane:freeswitch.node.ghost', '*', 'subject', 'freeswitch.node.ghost', 'data', '{"command":"status"}', 'reply_to', 'freeswitch:reply:raw', 'correlation_id', 'r1', 'headers', '');
    // Four: the shared lane hands some to each agent. The relay's bound (timeout_ms + 1 s) was the answer.
    for (let i = 1; i <= 4; i++) {
      const r = await ask(i);
      assert.equal(r.code, BusErrorCode.NODE_UNAVAILABLE, r.message);
      assert.equal(r.message, "No agent serves node 'ghost' (freeswitch.node.ghost)");
      assert.equal(r.correlation_id, `g${i}`);
    }
    assert.equal(await raw.xlen('freeswitch:lane:freeswitch.node.ghost'), 1, 'no hand-off was written to the unread stream');
    for (let i = 0; i < 4; i++) {
      const r = await cluster.request('freeswitch.api', '{"command":"agent.status","node_id":"node-2"}', 30_000);
      assert.equal(r.node_id, 'node-2', r.message);
    }
  } finally {
    raw.disconnect();
  }
});

// Last: it stops node-2's agent.
void test('redis: a node whose agent crashed once, came back and left is answered NODE_UNAVAILABLE, though its lane stream stays', async () => {
  const raw = new Redis(cluster.broker.url);
  try {
    // What the crash left on node-2's lane: a group of its own with its consumer (made by the first
    // entry it read). Its mark ran out and is gone: node-2's agent drops such marks as it renews.
    const key = 'freeswitch:lane:freeswitch.node.node-2';
    await raw.call('XGROUP', 'CREATE', key, 'fanout.crashed.1', '$');
    await raw.call('XGROUP', 'CREATECONSUMER', key, 'fanout.crashed.1', 'crashed');
    assert.equal((await cluster.request('freeswitch.api', '{"command":"status","node_id":"node-2"}', 30_000)).node_id, 'node-2');
    await cluster.nodes[1]!.agent.stop();
    assert.equal(await raw.exists(key), 1, "the crashed agent's consumer keeps the stream");
    for (let i = 0; i < 2; i++) {
      const r = await cluster.request('freeswitch.api', `{"command":"status","node_id":"node-2","timeout_ms":500,"correlation_id":"s${i}"}`, 60_000);
      assert.equal(r.code, BusErrorCode.NODE_UNAVAILABLE, r.message);
      assert.equal(r.message, "No agent serves node 'node-2' (freeswitch.node.node-2)");
    }
  } finally {
    raw.disconnect();
  }
});
