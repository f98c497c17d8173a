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
const BAD_REPLY_TO = 'request with a reply address RabbitMQ cannot take: handled as one without reply address, its reply dropped';

void describe('agent over amqp: a request whose reply address RabbitMQ cannot take', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ nodes: 1, driver: 'amqp', startBroker: sharedRabbit });
  });
  after(() => cluster.stop());

  void test('amqp: one raw publish with an undecodable direct reply-to leaves the agent connected and serving the SDK; the lost reply counted and logged', async () => {
    // The reviewer's reproduction: RabbitMQ 3.10 closed the agent's connection (541) for the reply,
    // which was sent again on every new connection: 190 reconnects in 20 s.
    const node = cluster.nodes[0]!;
    const { agent } = node;
    const counters = () => agent.status()['counters'] as { requests_received: number; events_dropped: number };
    const broker = () => agent.status()['broker'] as { status: string; reconnects: number };
    const before = counters().requests_received;
    const raw = await connect(cluster.broker.url);
    try {
      const ch = await raw.createChannel();
      ch.publish('freeswitch', 'freeswitch.api', Buffer.from('{"command":"status"}'), { replyTo: 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxAAAAAAAAAAE=.xx' });
      await until(agent, () => counters().requests_received === before + 1, 'the request handled');
      const r = await cluster.request('freeswitch.api', '{"command":"status"}', 10_000);
      assert.equal(r.success, true, r.message);
      assert.deepEqual(broker(), { ...broker(), status: 'connected', reconnects: 0 });
      // Said when it arrived, with the request's subject and the address without its key.
      const line = node.logs.find((l) => l['msg'] === BAD_REPLY_TO);
      assert.deepEqual(
        [line?.['level'], line?.['component'], line?.['subject'], line?.['reply_to']],
        [40, 'broker', 'freeswitch.api', 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxAAAAAAAAAAE=.***'],
      );
      // The driver counts the reply it could not send among its drops (the agent's events_dropped).
      assert.equal(counters().events_dropped, 1);
    } finally {
      await raw.close();
    }
  });
});
