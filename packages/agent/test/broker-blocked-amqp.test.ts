// RabbitMQ blocking the agent's connection for a resource alarm (connection.blocked) stopped every
// event for the whole alarm with no sign of it: status 'connected', no line. The agent now shows it:
// agent.status `broker.blocked` (RabbitMQ's reason) and fsbus_broker_blocked while it lasts, and the
// driver's warn/info lines. Real RabbitMQ, simulator and agent; the memory watermark set low, then
// back; waited for by log line.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { arrival } from './support/arrival.js';
import { emitCustom, eslTo, logLine, startCluster } from './support/cluster.js';
import { collectEvents, fill, FILL } from './support/fill-events.js';

// The lines as docs/drivers/amqp.md gives them.
const BLOCKED_LOG = 'RabbitMQ blocked the connection (resource alarm): publishes wait until it unblocks';
const UNBLOCKED_LOG = 'RabbitMQ unblocked the connection: publishes flow again';


void test('amqp: a connection RabbitMQ blocks shows in agent.status broker.blocked and fsbus_broker_blocked until it unblocks', { timeout: 120_000 }, async () => {
  let rabbit!: RabbitMqHandle;
  const cluster = await startCluster({
    driver: 'amqp',
    startBroker: async () => (rabbit = await startRabbitMq()),
    config: { events: { include: [`CUSTOM::${FILL}`] } },
  });
  const node = cluster.nodes[0]!;
  const esl = await eslTo(node.sim);
  const blockedMetric = async (): Promise<string> => node.agent.metrics.registry.getSingleMetricAsString('fsbus_broker_blocked');
  let alarm = false;
  try {
    const got = await collectEvents(cluster, esl);
    assert.match(await blockedMetric(), /fsbus_broker_blocked\{[^}]*\} 0/);

    await rabbit.ctl('set_vm_memory_high_watermark', '0.00001');
    alarm = true;
    await emitCustom(esl, FILL, 1, 1);
    const line = await logLine(node, BLOCKED_LOG);
    assert.match(String(line['reason']), /memory/i, JSON.stringify(line));
    const broker = node.agent.status()['broker'] as Record<string, unknown>;
    assert.equal(broker['status'], 'connected');
    assert.match(String(broker['blocked']), /memory/i, JSON.stringify(broker));
    assert.match(await blockedMetric(), /fsbus_broker_blocked\{[^}]*\} 1/);

    await rabbit.ctl('set_vm_memory_high_watermark', '0.4');
    alarm = false;
    await logLine(node, UNBLOCKED_LOG);
    assert.equal((node.agent.status()['broker'] as Record<string, unknown>)['blocked'], undefined);
    assert.match(await blockedMetric(), /fsbus_broker_blocked\{[^}]*\} 0/);
    await arrival(got, fill(1), 'the fill held while blocked');
  } finally {
    // Cleared before the agent stops: a blocked connection never confirms what the stop waits for.
    if (alarm) await rabbit.ctl('set_vm_memory_high_watermark', '0.4');
    await esl.close();
    await cluster.stop();
  }
});
