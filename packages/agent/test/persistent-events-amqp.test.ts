// A durable queue of a user's own bound to `freeswitch.events.#` (what a mod_amqp user bound to
// TAP.Events) lost everything it held when RabbitMQ restarted: the agent published every event
// transient, with no setting to change it (reviewer: 22 messages → `rabbitmqctl stop_app;
// start_app` → 0). With FSBUS_AMQP_PERSISTENT_EVENTS (broker.amqp.persistent_events) events go out
// persistent (delivery_mode 2) and the queue keeps them across the restart.
// Real RabbitMQ (restarted in place: same Mnesia dir), simulator and agent; waited for by event.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, type ConsumeMessage } from 'amqplib';
import { buildSubjects } from '@fsbus/contract';
import { startRabbitMq } from '@fsbus/testkit';
import { emitCustom, eslTo, startCluster } from './support/cluster.js';

const SUBCLASS = 'fsbus::test_persist';
const COUNT = 5;

void test('amqp: with FSBUS_AMQP_PERSISTENT_EVENTS a durable queue of your own bound to the events keeps them across a RabbitMQ restart', { timeout: 180_000 }, async () => {
  const rabbit = await startRabbitMq();
  const cluster = await startCluster({
    driver: 'amqp',
    startBroker: () => Promise.resolve(rabbit),
    config: { events: { include: [`CUSTOM::${SUBCLASS}`] } },
    env: { FSBUS_AMQP_PERSISTENT_EVENTS: 'true' },
  });
  const node = cluster.nodes[0]!;
  const esl = await eslTo(node.sim);
  try {
    const admin = await connect(cluster.broker.url);
    const ch = await admin.createChannel();
    await ch.assertQueue('crm-durable', { durable: true });
    // Bound to this test's events only: the agent's own (fsbus::agent_stop when it stops below) pass
    // any include list, and would be kept too.
    await ch.bindQueue('crm-durable', 'freeswitch', buildSubjects().event('CUSTOM', SUBCLASS));

    await emitCustom(esl, SUBCLASS, COUNT);
    // Seen in the queue itself (unacked), then put back: the queue holds every event.
    const got: ConsumeMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`crm-durable got ${got.length} of ${COUNT} events`)), 15_000);
      void ch.consume('crm-durable', (m) => {
        if (m !== null && got.push(m) === COUNT) {
          clearTimeout(timer);
          resolve();
        }
      }, { consumerTag: 'crm' });
    });
    await ch.cancel('crm');
    ch.nackAll(true);
    // The same channel: its nack reaches the queue before this declare does.
    assert.equal((await ch.checkQueue('crm-durable')).messageCount, COUNT, 'held before the restart');
    await admin.close();
    // Every event confirmed by the broker, nothing left to send again after the restart.
    await node.agent.stop();

    await rabbit.ctl('stop_app');
    await rabbit.ctl('start_app');

    const after = await connect(cluster.broker.url);
    try {
      const ch2 = await after.createChannel();
      assert.equal((await ch2.checkQueue('crm-durable')).messageCount, COUNT, 'held after the restart');
      assert.deepEqual(got.map((m) => m.properties.deliveryMode as unknown), Array<number>(COUNT).fill(2), 'delivery_mode of each event');
    } finally {
      await after.close();
    }
  } finally {
    await esl.close();
    await cluster.stop();
  }
});
