// A subscriber's own queue bounded with `x-overflow: reject-publish` that is full makes RabbitMQ
// nack the agent's event publishes — while every other queue bound to them took them. The agent
// told every subscriber `fsbus::events_dropped` as if the events were lost (a second subscriber
// had all of them) and logged them as failed at the broker. A nack does not say which queue
// refused: the loss is still told, but as what it is — refused by a queue (FSBus-Events-Refused,
// its own line, fsbus_events_refused_total), the existing headers unchanged.
// Real RabbitMQ, simulator and agent; waited for by event.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from 'amqplib';
import { startRabbitMq } from '@fsbus/testkit';
import { arrival } from './support/arrival.js';
import { emitCustom, eslTo, logLine, startCluster } from './support/cluster.js';
import { collectEvents, fill, FILL } from './support/fill-events.js';

// The log line as docs/agent.md gives it.
const EVENTS_REFUSED_LOG = 'events refused by a queue at the broker (nack): other subscribers may have them';


void test('amqp: events a full reject-publish queue refuses (nack) are told as refused by a queue, not as plain losses', { timeout: 120_000 }, async () => {
  const cluster = await startCluster({
    driver: 'amqp',
    startBroker: () => startRabbitMq(),
    config: { events: { include: [`CUSTOM::${FILL}`, 'CUSTOM::fsbus::events_dropped'] } },
  });
  const node = cluster.nodes[0]!;
  const esl = await eslTo(node.sim);
  const admin = await connect(cluster.broker.url);
  try {
    const got = await collectEvents(cluster, esl);

    // A consumer's own queue, bounded the wrong way and full: it refuses every event.
    const ch = await admin.createChannel();
    await ch.assertQueue('crm-bounded', { exclusive: true, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    await ch.bindQueue('crm-bounded', 'freeswitch', 'freeswitch.events.#');

    await emitCustom(esl, FILL, 1, 1);
    await arrival(got, fill(1), 'the refused fill, at the other subscriber');
    const line = await logLine(node, EVENTS_REFUSED_LOG);
    assert.equal(line['events_refused'], 1, JSON.stringify(line));
    // The next event sent tells subscribers.
    await emitCustom(esl, FILL, 1, 2);
    const told = await arrival(got, (p) => p.headers['Event-Subclass'] === 'fsbus::events_dropped', 'fsbus::events_dropped');
    const h = told.headers;
    assert.equal(h['FSBus-Events-Dropped'], '1', JSON.stringify(h));
    assert.equal(h['FSBus-Events-Refused'], '1', JSON.stringify(h));
    assert.ok(h['FSBus-Hangups-Dropped'] !== undefined && h['FSBus-Events-Dropped-Since'] !== undefined && h['FSBus-Events-Dropped-Until'] !== undefined, 'the existing headers stay');
    const metric = await node.agent.metrics.registry.getSingleMetricAsString('fsbus_events_refused_total');
    assert.match(metric, /fsbus_events_refused_total\{[^}]*\} [1-9]/, metric);
  } finally {
    await admin.close().catch(() => undefined);
    await esl.close();
    await cluster.stop();
  }
});
