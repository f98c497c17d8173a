// Lost hangups are lost CDRs: the outage line (at error level, as the stop's) and the
// fsbus::events_dropped announcement say how many CHANNEL_HANGUP_COMPLETE were among the drops.
// Real nats-server (JetStream), simulator and agent; everything is waited for by event.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { EslEvent } from '@fsbus/esl';
import type { DurableMessage } from '@fsbus/transport';
import { counter, dec, driverConnected, emitCustom, eslTo, startCluster, until, type Node } from './support/cluster.js';

const FILL = 'fsbus::test_fill';
const EVENTS_DROPPED_LOG = 'outgoing buffer full: oldest events dropped';
const through = (node: Node): number => counter(node, 'events_published') + counter(node, 'events_failed');

void test('a full buffer drops two hangups: an error line with hangups_dropped, then FSBus-Hangups-Dropped in fsbus::events_dropped', async () => {
  const cluster = await startCluster({
    jetstream: true,
    config: {
      broker: { buffer_messages: 4 },
      events: { include: [`CUSTOM::${FILL}`, 'CHANNEL_HANGUP_COMPLETE', 'CUSTOM::fsbus::events_dropped'], stream: { enabled: true, max_age_ms: 3_600_000 } },
    },
  });
  const node = cluster.nodes[0]!;
  const esl = await eslTo(node.sim);
  try {
    await cluster.nats.halt();
    await until(node.agent, () => node.agent.brokerStatus !== 'connected', 'the broker seen gone');
    // Oldest first out: the two hangups, then four fills, are dropped; four fills kept.
    for (let i = 0; i < 2; i++) await esl.sendevent(EslEvent.create('CHANNEL_HANGUP_COMPLETE'));
    await emitCustom(esl, FILL, 8);
    await until(node.agent, () => through(node) >= 10, 'ten events through the agent');
    assert.equal(counter(node, 'events_dropped'), 6);
    const line = node.logs.find((l) => l['msg'] === EVENTS_DROPPED_LOG);
    assert.ok(line !== undefined, 'a line about the drops');
    // The first drop is logged at once: the first hangup.
    assert.deepEqual([line['level'], line['events_dropped'], line['hangups_dropped']], [50, 1, 1], JSON.stringify(line));

    await cluster.nats.start();
    await driverConnected(cluster.client);
    const got: EventPayload[] = [];
    let done!: () => void;
    const told = new Promise<void>((resolve) => (done = resolve));
    const sub = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', from: 'all' }, (m: DurableMessage) => {
      const p = JSON.parse(dec(m.data)) as EventPayload;
      got.push(p);
      m.ack();
      if (p.headers['Event-Subclass'] === 'fsbus::events_dropped') done();
    });
    await told;
    await sub.unsubscribe();
    const h = got.find((p) => p.headers['Event-Subclass'] === 'fsbus::events_dropped')!.headers;
    assert.deepEqual([h['FSBus-Events-Dropped'], h['FSBus-Hangups-Dropped']], ['6', '2']);
  } finally {
    await esl.close();
    await cluster.stop();
  }
});
