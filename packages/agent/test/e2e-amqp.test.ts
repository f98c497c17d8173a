// The agent end-to-end suite over the amqp driver (see support/driver-e2e.ts), then the agent's
// own amqp cases, on the one RabbitMQ of this file (it takes seconds to start).
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from 'amqplib';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { runAgentE2e } from './support/driver-e2e.js';
import { startCluster, until, type Cluster, type ClusterBroker } from './support/cluster.js';

let rabbit: Promise<RabbitMqHandle> | undefined;
/** The file's RabbitMQ for each cluster; a cluster's stop() leaves it running, the file's end stops it. */
async function sharedRabbit(): Promise<ClusterBroker> {
  const r = await (rabbit ??= startRabbitMq());
  return { url: r.url, halt: () => r.halt(), start: () => r.start(), stop: () => Promise.resolve() };
}
after(async () => {
  if (rabbit !== undefined) await (await rabbit).stop();
});

runAgentE2e('amqp', sharedRabbit);

/** The amqp driver's line for a request whose reply address RabbitMQ cannot take. */
const BAD_REPLY_TO = 'request with a reply address RabbitMQ cannot take: skipped, not run';

/**
 * A well-formed direct reply-to name on a node the cluster does not have: no client can tell it
 * from a live one, and RabbitMQ 3.10 closes the replying connection (541) for it all the same.
 */
function unknownNodeReplyTo(): string {
  const node = Buffer.from('reply@1');
  const pid = Buffer.concat([Buffer.from([131, 88, 118, 0, node.length]), node, Buffer.from([0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 1])]);
  return `amq.rabbitmq.reply-to.${pid.toString('base64')}.${Buffer.alloc(16, 7).toString('base64')}`;
}

/** The value of the sample of `name` whose labels include `labels` (0 when absent). */
function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

void describe('agent over amqp: a request whose reply address RabbitMQ cannot take', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ nodes: 1, driver: 'amqp', startBroker: sharedRabbit });
  });
  after(() => cluster.stop());
  type Counters = { requests_received: number; requests_refused: number; events_dropped: number; replies_dropped: number };
  const counters = () => cluster.nodes[0]!.agent.status()['counters'] as Counters;
  const broker = () => cluster.nodes[0]!.agent.status()['broker'] as { status: string; reconnects: number };

  void test('amqp: one raw publish with an undecodable direct reply-to is not run — counted as refused and logged; the agent stays connected and serves the SDK', async () => {
    // The reviewer's reproduction: RabbitMQ 3.10 closed the agent's connection (541) for the reply,
    // which was sent again on every new connection: 190 reconnects in 20 s.
    const node = cluster.nodes[0]!;
    const before = counters();
    const raw = await connect(cluster.broker.url);
    try {
      const ch = await raw.createConfirmChannel();
      ch.publish('freeswitch', 'freeswitch.api', Buffer.from('{"command":"status"}'), { replyTo: 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxAAAAAAAAAAE=.xx' });
      // Confirmed: in the lane's queue before the request below (one agent, delivered in order).
      await ch.waitForConfirms();
      const r = await cluster.request('freeswitch.api', '{"command":"status"}', 10_000);
      assert.equal(r.success, true, r.message);
      assert.deepEqual(broker(), { ...broker(), status: 'connected', reconnects: 0 });
      // Said when it arrived, with the request's subject and the address without its key.
      const line = node.logs.find((l) => l['msg'] === BAD_REPLY_TO);
      assert.deepEqual(
        [line?.['level'], line?.['component'], line?.['subject'], line?.['reply_to']],
        [40, 'broker', 'freeswitch.api', 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxAAAAAAAAAAE=.***'],
      );
      // Not run (only the SDK request was), refused: nothing dropped.
      const now = counters();
      assert.equal(now.requests_received, before.requests_received + 1);
      assert.equal(now.requests_refused, before.requests_refused + 1);
      assert.deepEqual([now.events_dropped, now.replies_dropped], [0, 0]);
      assert.equal(metric(await node.agent.metrics.registry.metrics(), 'fsbus_requests_refused_total', 'node_id="node-1"'), now.requests_refused);
    } finally {
      await raw.close();
    }
  });

  void test('amqp: a reply RabbitMQ closes the connection for (a well-formed name on a node it lacks) is a reply dropped, not an event: replies_dropped 1, events_dropped 0; the reconnect is in the metrics', async () => {
    const node = cluster.nodes[0]!;
    const { agent } = node;
    const before = counters();
    const raw = await connect(cluster.broker.url);
    try {
      const ch = await raw.createChannel();
      ch.publish('freeswitch', 'freeswitch.api', Buffer.from('{"command":"status"}'), { replyTo: unknownNodeReplyTo(), correlationId: 'c-541' });
      // It runs (the name is well formed), its reply costs the connection once and is not sent again.
      await until(agent, () => broker().reconnects === 1 && agent.brokerStatus === 'connected', 'the agent back after the 541', 30_000);
      const r = await cluster.request('freeswitch.api', '{"command":"status"}', 10_000);
      assert.equal(r.success, true, r.message);
      const now = counters();
      assert.equal(now.requests_received, before.requests_received + 2);
      assert.equal(agent.driver!.stats().dropped, 1);
      assert.deepEqual([now.replies_dropped, now.events_dropped], [1, 0]);
      const text = await agent.metrics.registry.metrics();
      assert.equal(metric(text, 'fsbus_replies_dropped_total', 'node_id="node-1"'), 1);
      assert.equal(metric(text, 'fsbus_events_dropped_total', 'node_id="node-1"'), 0);
      assert.equal(metric(text, 'fsbus_reconnects_total', 'target="broker"'), 1);
    } finally {
      await raw.close();
    }
  });
});

void describe('agent over amqp: a request whose correlation id is only the AMQP property', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ nodes: 1, driver: 'amqp', startBroker: sharedRabbit });
  });
  after(() => cluster.stop());

  void test('amqp: its forward_to copies carry the correlation_id property the direct reply carries (an async one too), and no header of fsbus\'s own', async () => {
    const raw = await connect(cluster.broker.url);
    try {
      const ch = await raw.createConfirmChannel();
      const copies: Array<{ cid: unknown; headers: unknown; body: string }> = [];
      const direct: Array<{ cid: unknown; body: string }> = [];
      let arrived = (): void => undefined;
      const all = new Promise<void>((resolve) => {
        arrived = () => {
          if (direct.length === 1 && copies.length === 2) resolve();
        };
      });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, 'freeswitch', 'app.copies.*');
      await ch.consume(queue, (m) => {
        if (m !== null) copies.push({ cid: m.properties.correlationId, headers: m.properties.headers, body: m.content.toString() });
        arrived();
      }, { noAck: true });
      await ch.consume('amq.rabbitmq.reply-to', (m) => {
        if (m !== null) direct.push({ cid: m.properties.correlationId, body: m.content.toString() });
        arrived();
      }, { noAck: true });
      // No correlation_id in the body: the property alone, as an AMQP client sends it.
      ch.publish('freeswitch', 'freeswitch.api', Buffer.from('{"command":"status","forward_to":"app.copies.direct"}'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'c-prop-1' });
      ch.publish('freeswitch', 'freeswitch.api', Buffer.from('{"command":"status","async":true,"forward_to":"app.copies.async"}'), { correlationId: 'c-prop-2' });
      await ch.waitForConfirms();
      await all; // the reply and both copies (the test's own timeout bounds the wait)
      assert.equal(direct[0]!.cid, 'c-prop-1');
      const byCid = new Map(copies.map((c) => [c.cid, c]));
      assert.deepEqual([...byCid.keys()].sort(), ['c-prop-1', 'c-prop-2'], JSON.stringify(copies));
      // The same bytes as the direct reply (no correlation_id in its JSON: none was in the body).
      assert.equal(byCid.get('c-prop-1')!.body, direct[0]!.body);
      for (const c of copies) assert.equal(c.headers === undefined || Object.keys(c.headers as object).length === 0, true, JSON.stringify(c.headers));
    } finally {
      await raw.close();
    }
  });
});

void describe('agent over amqp: a hand-off of a request whose correlation id is only the AMQP property', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ nodes: 2, driver: 'amqp', startBroker: sharedRabbit });
  });
  after(() => cluster.stop());

  void test('amqp: relayed (or handed off async) to the node it names, that node\'s forward_to copies carry the requester\'s correlation_id property', async () => {
    // node-2 off the shared lanes: node-1 takes every request on freeswitch.api and hands it on.
    const cordoned = await cluster.request('freeswitch.node.node-2', '{"command":"agent.cordon","node_id":"node-2"}');
    assert.equal(cordoned.success, true, cordoned.message);
    const raw = await connect(cluster.broker.url);
    try {
      const ch = await raw.createConfirmChannel();
      const copies: Array<{ cid: unknown; node: string }> = [];
      const direct: Array<{ cid: unknown; node: string }> = [];
      let arrived = (): void => undefined;
      const all = new Promise<void>((resolve) => {
        arrived = () => {
          if (direct.length === 1 && copies.length === 2) resolve();
        };
      });
      const nodeOf = (b: Buffer): string => (JSON.parse(b.toString()) as { node_id: string }).node_id;
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, 'freeswitch', 'app.copies.*');
      await ch.consume(queue, (m) => {
        if (m !== null) copies.push({ cid: m.properties.correlationId, node: nodeOf(m.content) });
        arrived();
      }, { noAck: true });
      await ch.consume('amq.rabbitmq.reply-to', (m) => {
        if (m !== null) direct.push({ cid: m.properties.correlationId, node: nodeOf(m.content) });
        arrived();
      }, { noAck: true });
      ch.publish('freeswitch', 'freeswitch.api', Buffer.from('{"command":"status","node_id":"node-2","forward_to":"app.copies.relayed"}'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'c-relay-1' });
      ch.publish('freeswitch', 'freeswitch.api', Buffer.from('{"command":"status","node_id":"node-2","async":true,"forward_to":"app.copies.async"}'), { correlationId: 'c-relay-2' });
      await ch.waitForConfirms();
      await all;
      assert.deepEqual(direct, [{ cid: 'c-relay-1', node: 'node-2' }]);
      assert.deepEqual(copies.sort((a, b) => String(a.cid).localeCompare(String(b.cid))), [{ cid: 'c-relay-1', node: 'node-2' }, { cid: 'c-relay-2', node: 'node-2' }]);
    } finally {
      await raw.close();
    }
  });
});
