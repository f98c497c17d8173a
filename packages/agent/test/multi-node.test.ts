// Three agents on three simulated FreeSWITCH nodes, one nats-server.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BusErrorCode, decodeReply, parseRequest, type ReplyEnvelope } from '@fsbus/contract';
import { asyncHandoff } from '../src/handoff.js';
import { enc, startCluster, type Cluster } from './support/cluster.js';

type Counters = { requests_received: number };
const received = (c: Cluster, i: number) => (c.nodes[i]!.agent.status()['counters'] as Counters).requests_received;
const totalReceived = (c: Cluster) => c.nodes.reduce((n, _, i) => n + received(c, i), 0);

void describe('three nodes', () => {
  let cluster: Cluster;
  let nc: NatsConnection;
  before(async () => {
    cluster = await startCluster({ nodes: 3, commandsFor: (i) => (i === 0 ? { denylist: ['uptime'] } : {}) });
    nc = await connect({ servers: cluster.nats.url });
  });
  after(async () => {
    await nc.close();
    await cluster.stop();
  });

  void test('the queue-group lane runs each command exactly once', async () => {
    const before = totalReceived(cluster);
    const replies = await Promise.all(Array.from({ length: 30 }, () => cluster.request('freeswitch.api', '{"command":"status"}')));
    assert.ok(replies.every((r) => r.success));
    assert.equal(totalReceived(cluster) - before, 30);
  });

  void test('node-targeted requests reach the right node through any lane', async () => {
    const handoffs = async () => {
      let n = 0;
      for (const node of cluster.nodes) n += (await node.agent.metrics.handoffs.get()).values[0]?.value ?? 0;
      return n;
    };
    const handoffsBefore = await handoffs();
    const before = [0, 1, 2].map((i) => received(cluster, i));
    const viaApi = await Promise.all(Array.from({ length: 30 }, () => cluster.request('freeswitch.api', '{"command":"agent.status","node_id":"NODE-2"}')));
    assert.ok(viaApi.every((r) => r.node_id === 'node-2' && r.success));
    // node-2 ran each request once (from the queue group or handed off by a peer); what the
    // peers received, they handed off.
    const delta = [0, 1, 2].map((i) => received(cluster, i) - before[i]!);
    assert.equal(delta[1], 30);
    assert.equal(delta[0]! + delta[2]!, (await handoffs()) - handoffsBefore);
    for (const lane of ['freeswitch.node.node-2', 'freeswitch.api.node-2']) {
      const r = await cluster.request(lane, '{"command":"agent.status"}');
      assert.equal(r.node_id, 'node-2', lane);
    }
    const only = await cluster.client.gather('freeswitch.broadcast', enc('{"command":"agent.status","node_id":"node-3"}'), { timeoutMs: 5000, expect: 1 });
    assert.deepEqual(only.map((m) => decodeReply(m.data).node_id), ['node-3']);
  });

  void test('the shared lane answers for a node nobody serves at once, and for one that never answers at its bound', async () => {
    const copy = new Promise<ReplyEnvelope>((resolve) => {
      nc.subscribe('observers.unserved', { max: 1, callback: (_e, m) => resolve(decodeReply(m.data)) });
    });
    await nc.flush();
    // Six, so that the queue group gives some to each agent. The caller would wait 60 s: only the
    // relaying agent's answer ends these in the test's time.
    for (let i = 0; i < 6; i++) {
      const r = await cluster.request('freeswitch.api', `{"command":"status","node_id":"Node-9","correlation_id":"u${i}","forward_to":"observers.unserved"}`, 60_000);
      assert.equal(r.success, false);
      assert.equal(r.code, BusErrorCode.NODE_UNAVAILABLE);
      assert.equal(r.message, "No agent serves node 'node-9' (freeswitch.node.node-9)");
      assert.equal(r.correlation_id, `u${i}`);
      assert.ok(['node-1', 'node-2', 'node-3'].includes(r.node_id), r.node_id);
    }
    assert.equal((await copy).code, BusErrorCode.NODE_UNAVAILABLE);
    // Something takes node "ghost"'s lane and never answers: the relay's bound (timeout_ms + 1 s) tells.
    const silent = nc.subscribe('freeswitch.node.ghost', { callback: () => undefined });
    await nc.flush();
    try {
      const r = await cluster.request('freeswitch.api', '{"command":"status","node_id":"ghost","timeout_ms":50}', 60_000);
      assert.equal(r.code, BusErrorCode.TIMEOUT);
      assert.equal(r.message, "Node 'ghost' did not answer within 1050 ms");
    } finally {
      silent.unsubscribe();
    }
  });

  void test("the executing node's verb policy applies, not the policy of the node that handed off", async () => {
    const viaApi = await Promise.all(Array.from({ length: 20 }, () => cluster.request('freeswitch.api', '{"command":"uptime","node_id":"node-2"}')));
    assert.ok(viaApi.every((r) => r.success && r.node_id === 'node-2'), JSON.stringify(viaApi.find((r) => !r.success)));
    const denied = await cluster.request('freeswitch.node.node-1', '{"command":"uptime"}');
    assert.equal(denied.message, 'Command is not permitted via the event bus');
  });

  void test('broadcast with node_id: a refused request is answered by that node only', async () => {
    const bodies = [
      '{"command":"","node_id":"node-2","correlation_id":"r"}',
      '{"command":"status","node_id":"node-2","timeout_ms":"soon","correlation_id":"r"}',
      '{"command":"uptime","node_id":"node-1","correlation_id":"r"}',
    ];
    for (const [i, body] of bodies.entries()) {
      const inbox = `test.bcast.${i}`;
      const replies: ReplyEnvelope[] = [];
      const marks = new Promise<void>((resolve) => {
        nc.subscribe(inbox, {
          callback: (_e, m) => {
            replies.push(decodeReply(m.data));
            if (replies.filter((r) => r.correlation_id === 'mark').length === 3) resolve();
          },
        });
      });
      await nc.flush();
      nc.publish('freeswitch.broadcast', enc(body), { reply: inbox });
      // Every node answers the marker after the request: a refusal it sent would be here first.
      nc.publish('freeswitch.broadcast', enc('{"command":"agent.status","correlation_id":"mark"}'), { reply: inbox });
      await marks;
      const refused = replies.filter((r) => r.correlation_id === 'r');
      assert.deepEqual(refused.map((r) => [r.node_id, r.success]), [[(JSON.parse(body) as { node_id: string }).node_id, false]], body);
    }
  });

  void test('broadcast gathers one reply per node', async () => {
    const replies = await cluster.client.gather('freeswitch.broadcast', enc('{"command":"status"}'), { timeoutMs: 5000, expect: 3 });
    assert.deepEqual(replies.map((m) => decodeReply(m.data).node_id).sort(), ['node-1', 'node-2', 'node-3']);
    assert.ok(replies.every((m) => decodeReply(m.data).success));
  });

  void test('forward_to receives the very bytes of the reply', async () => {
    const forwarded: Uint8Array[] = [];
    const got = new Promise<void>((resolve) => {
      nc.subscribe('observers.results', { max: 1, callback: (_e, m) => {
        forwarded.push(m.data);
        resolve();
      } });
    });
    await nc.flush();
    const reply = await cluster.client.request('freeswitch.api', enc('{"command":"version","forward_to":"observers.results","correlation_id":"fw-1"}'), { timeoutMs: 5000 });
    await got;
    assert.deepEqual(Buffer.from(forwarded[0]!), Buffer.from(reply.data));
    assert.equal(decodeReply(reply.data).correlation_id, 'fw-1');
  });

  void test('async lane executes without a reply (forward_to still fires)', async () => {
    const inbox: ReplyEnvelope[] = [];
    const pings: Array<() => void> = [];
    nc.subscribe('test.inbox', {
      callback: (_e, m) => {
        const r = decodeReply(m.data);
        inbox.push(r);
        if (r.correlation_id === 'ping') pings.shift()?.();
      },
    });
    const observe = (subject: string) =>
      new Promise<ReplyEnvelope>((resolve) => {
        nc.subscribe(subject, { max: 1, callback: (_e, m) => resolve(decodeReply(m.data)) });
      });
    const ping = () => {
      const seen = new Promise<void>((resolve) => pings.push(resolve));
      nc.publish('freeswitch.node.node-1', enc('{"command":"agent.status","correlation_id":"ping"}'), { reply: 'test.inbox' });
      return seen;
    };
    const observed = observe('observers.async');
    await nc.flush();
    // A reply address is given on purpose: the agent must not use it.
    nc.publish('freeswitch.cmd.async.status', enc('{"forward_to":"observers.async","node_id":"node-1","correlation_id":"a-1"}'), { reply: 'test.inbox' });
    const r = await observed;
    assert.equal(r.success, true);
    assert.equal(r.correlation_id, 'a-1');
    assert.equal(r.node_id, 'node-1');
    assert.equal(r.message, 'API command executed');
    // A reply to the async request would have left node-1 before the ping's (one connection, in order).
    await ping();
    assert.deepEqual(inbox.map((x) => x.correlation_id), ['ping']);

    // "async": true on a request lane behaves the same.
    const observed2 = observe('observers.async2');
    await nc.flush();
    nc.publish('freeswitch.node.node-1', enc('{"command":"status","async":true,"forward_to":"observers.async2"}'), { reply: 'test.inbox' });
    assert.equal((await observed2).success, true);
    await ping();
    assert.deepEqual(inbox.map((x) => x.correlation_id), ['ping', 'ping']);
  });
});

void test('async hand-off: the body as sent, with the lane command and async added as its last keys', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['', {}],
    ['{}', {}],
    ['{ \n}\n', {}],
    ['{"args":"x","command":"evil","async":false}  ', { args: 'x' }],
    ['{"a":[[[]]],"node_id":"node-2"}\r\n', { a: [[[]]], node_id: 'node-2' }],
  ];
  for (const [body, rest] of cases) {
    const out = asyncHandoff(enc(body), 'status');
    const parsed = parseRequest(out);
    assert.ok(parsed.ok, body);
    assert.deepEqual(parsed.request.fields, { ...rest, command: 'status', async: true }, body);
    assert.equal(new TextDecoder().decode(out).startsWith(body.trimEnd().slice(0, -1)), true, body);
  }
  // Never re-serialised: nesting deeper than JSON.stringify could walk goes through as is.
  const deep = `{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
  assert.ok(parseRequest(asyncHandoff(enc(deep), 'status'), { maxPayloadBytes: 1e6 }).ok);
});
