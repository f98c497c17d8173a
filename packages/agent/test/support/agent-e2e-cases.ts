/**
 * The agent's end-to-end cases over ANY driver, for a cluster of two simulated nodes (node-1,
 * node-2) whose agents and client share one driver: the NATS issue's suite in small — generic
 * API, competing lane, direct lanes, hand-off, broadcast, async lane, bad requests, events.
 * Each driver's e2e test file calls `agentE2eCases(() => cluster)` inside its describe().
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { decodeReply } from '@fsbus/contract';
import type { InboundMessage } from '@fsbus/transport';
import { dec, emitCustom, enc, eslTo, type Cluster } from './cluster.js';

type Counters = { requests_received: number };
const received = (c: Cluster, i: number): number => (c.nodes[i]!.agent.status()['counters'] as Counters).requests_received;
const total = (c: Cluster): number => c.nodes.reduce((n, _, i) => n + received(c, i), 0);

/** Resolves when `check()` holds, re-checked on every agent's state changes; bounded. */
function whenAll(c: Cluster, check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const offs: Array<() => void> = [];
    const done = (err?: Error) => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (err === undefined) resolve();
      else reject(err);
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}`)), timeoutMs);
    for (const n of c.nodes) offs.push(n.agent.onStateChange(() => check() && done()));
  });
}

export function agentE2eCases(get: () => Cluster): void {
  void test('generic API over <prefix>.api: {"command":"status"}', async () => {
    const r = await get().request('freeswitch.api', '{"command":"status"}', 10_000);
    assert.equal(r.success, true, r.message);
    assert.equal(r.message, 'API command executed');
    assert.match(String(r.data), /UP /);
  });

  void test('the competing lane runs each command exactly once', async () => {
    const c = get();
    const before = total(c);
    const replies = await Promise.all(Array.from({ length: 20 }, () => c.request('freeswitch.api', '{"command":"status"}', 10_000)));
    assert.ok(replies.every((r) => r.success));
    assert.equal(total(c) - before, 20);
  });

  void test('direct lanes and node_id hand-off reach the named node', async () => {
    const c = get();
    for (const lane of ['freeswitch.node.node-2', 'freeswitch.api.node-2']) {
      assert.equal((await c.request(lane, '{"command":"agent.status"}', 10_000)).node_id, 'node-2', lane);
    }
    const viaApi = await Promise.all(Array.from({ length: 6 }, () => c.request('freeswitch.api', '{"command":"agent.status","node_id":"NODE-1"}', 10_000)));
    assert.ok(viaApi.every((r) => r.success && r.node_id === 'node-1'));
  });

  void test('broadcast gathers one reply per node', async () => {
    const replies = await get().client.gather('freeswitch.broadcast', enc('{"command":"agent.status"}'), { timeoutMs: 10_000, expect: 2 });
    assert.deepEqual(replies.map((m) => decodeReply(m.data).node_id).sort(), ['node-1', 'node-2']);
  });

  void test('async lane: fire-and-forget, executed once, no reply', async () => {
    const c = get();
    const before = total(c);
    assert.notEqual(c.client.publish('freeswitch.cmd.async.status', enc('{"command":"status"}')), 'dropped');
    await c.client.flush();
    await whenAll(c, () => total(c) === before + 1, 'the async command');
  });

  void test('bad requests get the contract error envelope', async () => {
    const r = await get().request('freeswitch.node.node-1', 'not json at all', 10_000);
    assert.equal(r.success, false);
    assert.equal(r.message, 'Invalid JSON payload');
    assert.match(r.code ?? '', /^FSBUS_ERR_BUS_/);
  });

  void test('FreeSWITCH events are published on <prefix>.events.<name> with the node id', async () => {
    const c = get();
    const got: InboundMessage[] = [];
    let wake = (): void => undefined;
    const sub = c.client.subscribe('freeswitch.events.custom.>', (m) => {
      got.push(m);
      wake();
    });
    await c.client.flush();
    const esl = await eslTo(c.nodes[0]!.sim);
    try {
      await emitCustom(esl, 'sofia::register', 3);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${got.length} of 3 events`)), 15_000);
        wake = () => {
          if (got.filter((m) => m.subject === 'freeswitch.events.custom.sofia.register').length < 3) return;
          clearTimeout(timer);
          resolve();
        };
        wake();
      });
    } finally {
      await esl.close();
      await sub.unsubscribe();
    }
    // Not got[0]: on ZeroMQ the agents' own agent_start, held until a subscriber connects, comes first.
    const first = JSON.parse(dec(got.find((m) => m.subject === 'freeswitch.events.custom.sofia.register')!.data)) as { event_name: string; node_id: string; headers: Record<string, string> };
    assert.equal(first.event_name, 'CUSTOM');
    assert.equal(first.node_id, 'node-1');
    assert.equal(first.headers['Event-Subclass'], 'sofia::register');
  });
}
