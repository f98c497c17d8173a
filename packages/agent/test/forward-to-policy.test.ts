// commands.forward_to: the subjects an operator lets the agent forward to. The agent publishes
// with its own broker permissions, so without it a requester could make the agent publish text of
// its own where the broker forbids the requester to (`billing.refund`). A forward_to outside the
// listed patterns is refused like any bad forward_to: the command does not run, nothing is published.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { AgentErrorCode, ConfigError, loadConfig } from '@fsbus/agent';
import { BusErrorCode, decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { enc, startCluster, type Cluster } from './support/cluster.js';

/** Sends `body` to node-1 and resolves with its reply and what reached `watched` meanwhile. */
async function requestWatching(cluster: Cluster, watched: string, body: string): Promise<{ reply: ReplyEnvelope; copies: ReplyEnvelope[] }> {
  const copies: ReplyEnvelope[] = [];
  const sub = cluster.client.subscribe(watched, (m) => copies.push(decodeReply(m.data)));
  await cluster.client.flush();
  try {
    const reply = await cluster.request('freeswitch.node.node-1', enc(body));
    // The agent publishes the copy before the reply, on one connection: a copy would be here now.
    await cluster.client.flush();
    return { reply, copies };
  } finally {
    await sub.unsubscribe();
  }
}

void describe('commands.forward_to over NATS', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ config: { commands: { forward_to: ['fwd.>', 'ivr.*.results'] } } });
  });
  after(() => cluster.stop());

  void test('a forward_to outside the listed subjects: refused, the command not run, nothing published there', async () => {
    const { reply, copies } = await requestWatching(cluster, 'billing.refund', '{"command":"global_setvar","args":"fwd_probe=ran","forward_to":"billing.refund","correlation_id":"c-1"}');
    assert.deepEqual([reply.success, reply.code, reply.correlation_id], [false, BusErrorCode.INVALID_ARGUMENT, 'c-1']);
    assert.equal(reply.message, 'forward_to may not target billing.refund: this agent forwards only to the subjects commands.forward_to lists');
    assert.deepEqual(copies, []);
    const probe = await cluster.request('freeswitch.node.node-1', '{"command":"global_getvar","args":"fwd_probe"}');
    assert.equal(probe.data, '', 'the refused command did not run');
  });

  void test('a forward_to the patterns match (`>` and `*`): forwarded as before', async () => {
    for (const subject of ['fwd.a', 'fwd.a.b.c', 'ivr.42.results']) {
      const { reply, copies } = await requestWatching(cluster, subject, `{"command":"status","forward_to":"${subject}"}`);
      assert.equal(reply.success, true, reply.message);
      assert.equal(copies.length, 1, subject);
      assert.equal(copies[0]!.message, reply.message);
    }
    // `*` is one token, `>` at least one: neither matches here.
    for (const subject of ['fwd', 'ivr.42.x.results', 'ivr.results']) {
      const { reply, copies } = await requestWatching(cluster, subject, `{"command":"status","forward_to":"${subject}"}`);
      assert.deepEqual([reply.success, reply.code, copies.length], [false, BusErrorCode.INVALID_ARGUMENT, 0], subject);
    }
  });
});

void describe('without commands.forward_to', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(() => cluster.stop());

  void test('any subject but the refused ones is forwarded (mod_event_agent compatible)', async () => {
    const { reply, copies } = await requestWatching(cluster, 'billing.refund', '{"command":"status","forward_to":"billing.refund"}');
    assert.equal(reply.success, true, reply.message);
    assert.equal(copies.length, 1);
  });
});

void test('commands.forward_to from the file, or FSBUS_FORWARD_TO comma-separated; a pattern that is not one is refused at load', () => {
  assert.deepEqual(loadConfig({ values: { node_id: 'n1' }, env: {} }).commands.forward_to, []);
  assert.deepEqual(loadConfig({ values: { node_id: 'n1', commands: { forward_to: ['fwd.>'] } }, env: {} }).commands.forward_to, ['fwd.>']);
  assert.deepEqual(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_FORWARD_TO: 'fwd.>, _INBOX.>,ivr.*.results' } }).commands.forward_to, ['fwd.>', '_INBOX.>', 'ivr.*.results']);
  for (const [bad, field] of [
    ['fwd..x', 'commands.forward_to.0'],
    ['a.>.b', 'commands.forward_to.0'],
    ['fw*d.x', 'commands.forward_to.0'],
    ['a b', 'commands.forward_to.0'],
  ] as const) {
    assert.throws(
      () => loadConfig({ values: { node_id: 'n1', commands: { forward_to: [bad] } }, env: {} }),
      (err: unknown) => err instanceof ConfigError && err.code === AgentErrorCode.CONFIG && err.field === field,
      bad,
    );
  }
  assert.throws(
    () => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_FORWARD_TO: 'fwd.>,a..b' } }),
    (err: unknown) => err instanceof ConfigError && err.field === 'FSBUS_FORWARD_TO',
  );
});
