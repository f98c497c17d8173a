/**
 * The agent end-to-end suite, re-run per driver (`*-amqp.test.ts`, `*-redis.test.ts`,
 * `*-mqtt.test.ts`): two simulated FreeSWITCH nodes, two agents with `driver: <name>`, one bus
 * client of the same driver, one broker for the whole file (RabbitMQ takes seconds to start).
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, decodeReply, type EventPayload } from '@fsbus/contract';
import { TransportErrorCode, type Driver, type InboundMessage, type Subscription } from '@fsbus/transport';
import { dec, driverConnected, emitCustom, enc, eslTo, startCluster, until, type Cluster, type ClusterBroker } from './cluster.js';

/** Resolves with the first message `pred` accepts, from a subscription made before the trigger. */
function firstMessage(cluster: Cluster, pattern: string, pred: (m: InboundMessage) => boolean, timeoutMs = 15_000) {
  let off: (() => Promise<void>) | undefined;
  const got = new Promise<InboundMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing on ${pattern}`)), timeoutMs);
    const sub = cluster.client.subscribe(pattern, (m) => {
      if (!pred(m)) return;
      clearTimeout(timer);
      resolve(m);
    });
    off = () => sub.unsubscribe();
  });
  return { got, ready: () => cluster.client.flush(), close: () => off?.() ?? Promise.resolve() };
}

/** Resolves once the driver has left 'connected' (bounded). */
function driverLeft(driver: Driver, timeoutMs = 60_000): Promise<void> {
  if (driver.status !== 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('client never noticed the outage')), timeoutMs);
    const off = driver.on((e) => {
      if (e.type !== 'status' || e.status === 'connected') return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

export function runAgentE2e(driver: string, startBroker: () => Promise<ClusterBroker>): void {
  void describe(`agent end to end over ${driver}`, () => {
    let cluster: Cluster;
    before(async () => {
      cluster = await startCluster({ nodes: 2, driver, startBroker, config: { events: { include: ['CUSTOM::fsbus::e2e', 'CHANNEL_CREATE'] } } });
    });
    after(() => cluster.stop());

    void test(`${driver}: the shared api lane answers with the mod_event_agent envelope`, async () => {
      const nodes = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const r = await cluster.request('freeswitch.api', `{"command":"status","correlation_id":"c${i}"}`);
        assert.equal(r.success, true, r.message);
        assert.equal(r.message, 'API command executed');
        assert.equal(r.correlation_id, `c${i}`);
        assert.match(String(r.data), /UP /);
        nodes.add(r.node_id);
      }
      assert.ok([...nodes].every((n) => n === 'node-1' || n === 'node-2'));
      const bad = await cluster.request('freeswitch.api', 'not json');
      assert.equal(bad.message, 'Invalid JSON payload');
      assert.equal(bad.code, BusErrorCode.INVALID_JSON);
      const big = await cluster.request('freeswitch.api', `{"command":"status","junk":"${'A'.repeat(71_680)}"}`);
      assert.equal(big.message, 'Payload too large');
    });

    void test(`${driver}: node targeting: hand-off from the shared lane, direct lane and its alias`, async () => {
      for (let i = 0; i < 4; i++) {
        const r = await cluster.request('freeswitch.api', '{"command":"agent.status","node_id":"NODE-2"}');
        assert.equal(r.node_id, 'node-2');
        assert.equal((r.data as { driver: string }).driver, driver);
      }
      assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"version"}')).node_id, 'node-1');
      assert.equal((await cluster.request('freeswitch.api.node-2', '{"command":"version"}')).node_id, 'node-2');
    });

    void test(`${driver}: a request on the shared lane naming a node nobody serves is answered at once`, async () => {
      // The caller would wait 60 s: only the relaying agent's answer ends these in the test's time.
      for (let i = 0; i < 4; i++) {
        const r = await cluster.request('freeswitch.api', `{"command":"status","node_id":"node-9","correlation_id":"u${i}"}`, 60_000);
        assert.equal(r.code, BusErrorCode.NODE_UNAVAILABLE, r.message);
        assert.equal(r.message, "No agent serves node 'node-9' (freeswitch.node.node-9)");
        assert.equal(r.correlation_id, `u${i}`);
        assert.ok(r.node_id === 'node-1' || r.node_id === 'node-2', r.node_id);
      }
    });

    void test(`${driver}: a relayed hand-off is bounded by its requester's deadline, not only by the command's timeout`, async () => {
      // The command's own bound is far longer (the cluster's commands.timeout_ms, +1 s for the relay);
      // the requester waits 2 s and its broker carries that.
      let left: number | undefined;
      let lane: Subscription | undefined;
      const arrived = new Promise<void>((resolve) => {
        lane = cluster.client.serve({ subject: 'freeswitch.node.ghost', competing: false }, (req) => {
          left = req.deadline === undefined ? undefined : req.deadline - performance.now();
          resolve();
          return undefined;
        });
      });
      await cluster.client.flush();
      try {
        await assert.rejects(cluster.request('freeswitch.api', '{"command":"status","node_id":"ghost"}', 2000), { code: TransportErrorCode.TIMEOUT });
        await arrived;
        assert.ok(left !== undefined && left <= 2000, `the relayed request had ${left} ms left`);
      } finally {
        await lane?.unsubscribe();
      }
    });

    void test(`${driver}: broadcast gathers one reply per node`, async () => {
      const replies = await cluster.client.gather('freeswitch.broadcast', enc('{"command":"agent.status"}'), { timeoutMs: 10_000, expect: 2 });
      assert.deepEqual(replies.map((m) => decodeReply(m.data).node_id).sort(), ['node-1', 'node-2']);
    });

    void test(`${driver}: async lane runs the command once, forward_to receives the reply`, async () => {
      const watch = firstMessage(cluster, 'observers.>', () => true);
      await watch.ready();
      assert.notEqual(cluster.client.publish('freeswitch.cmd.async.status', enc('{"forward_to":"observers.async","correlation_id":"a-1"}')), 'dropped');
      const m = await watch.got;
      assert.equal(m.subject, 'observers.async');
      const r = decodeReply(m.data);
      assert.equal(r.success, true);
      assert.equal(r.correlation_id, 'a-1');
      await watch.close();
    });

    void test(`${driver}: FreeSWITCH events reach subscribers on their subjects`, async () => {
      const watch = firstMessage(cluster, 'freeswitch.events.custom.>', (m) => m.subject === 'freeswitch.events.custom.fsbus.e2e');
      await watch.ready();
      const esl = await eslTo(cluster.nodes[1]!.sim);
      try {
        await emitCustom(esl, 'fsbus::e2e', 1);
        const p = JSON.parse(dec((await watch.got).data)) as EventPayload;
        assert.equal(p.event_name, 'CUSTOM');
        assert.equal(p.node_id, 'node-2');
        assert.equal(p.headers['Event-Subclass'], 'fsbus::e2e');
      } finally {
        await esl.close();
        await watch.close();
      }
    });

    void test(`${driver}: the agents ride out a broker restart and serve again`, async () => {
      await cluster.broker.halt();
      // Each side noticed the outage first, so "connected" below means reconnected.
      for (const n of cluster.nodes) await until(n.agent, () => n.agent.brokerStatus !== 'connected', `${n.id} noticed`, 60_000);
      await driverLeft(cluster.client);
      await cluster.broker.start();
      for (const n of cluster.nodes) await until(n.agent, () => n.agent.brokerStatus === 'connected' && n.agent.ready, `${n.id} back`, 60_000);
      await driverConnected(cluster.client, 60_000);
      const r = await cluster.request('freeswitch.api', '{"command":"agent.status","node_id":"node-1"}');
      assert.equal(r.success, true);
      assert.ok(((r.data as { broker: { reconnects: number } }).broker.reconnects) >= 1);
    });
  });
}
