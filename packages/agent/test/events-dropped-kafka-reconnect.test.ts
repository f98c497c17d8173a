// Real Kafka (test kit), simulator and agent: the broker is stopped (SIGTERM) and started again on
// its data while the node keeps producing events into a small buffer. On the reconnect the events
// the buffer kept must reach the topic, and ONE fsbus::events_dropped after them must count every
// event lost (the hangups too). Before, the buffer's contents went into Kafka's send queue (bound
// by the same buffer_messages) before it ran: the notice pushed the oldest kept event out as
// "failed after send", that loss was announced at once from inside the announcement, and so on:
// one notice of 1 per kept event, the big notice pushed out in turn, the kept events all lost.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { EslEvent } from '@fsbus/esl';
import { startKafka } from '@fsbus/testkit';
import type { DurableMessage } from '@fsbus/transport';
import { counter, dec, emitCustom, eslTo, startCluster, until } from './support/cluster.js';

const FILL = 'fsbus::test_fill';
const NOTICE = 'fsbus::events_dropped';
const BUFFER = 4;
const HANGUP = 'CHANNEL_HANGUP_COMPLETE';

void test('kafka: after a broker restart the kept events arrive, then one events_dropped counting every loss and hangup', { timeout: 300_000 }, async () => {
  const cluster = await startCluster({
    driver: 'kafka',
    startBroker: () => startKafka(),
    config: {
      broker: { buffer_messages: BUFFER },
      events: { include: [`CUSTOM::${FILL}`, HANGUP, `CUSTOM::${NOTICE}`], stream: { enabled: true, max_age_ms: 3_600_000 } },
    },
  });
  const node = cluster.nodes[0]!;
  const esl = await eslTo(node.sim);
  try {
    await cluster.broker.halt();
    await until(node.agent, () => node.agent.brokerStatus !== 'connected', 'the broker seen gone', 60_000);
    const before = counter(node, 'events_published') + counter(node, 'events_failed');
    // Oldest out first: the three hangups and fills 0..4 are dropped, fills 5..8 kept.
    for (let i = 0; i < 3; i++) await esl.sendevent(EslEvent.create(HANGUP));
    await emitCustom(esl, FILL, 9);
    await until(node.agent, () => counter(node, 'events_published') + counter(node, 'events_failed') >= before + 12, 'twelve events through the agent');
    assert.equal(counter(node, 'events_dropped'), 8);

    await cluster.broker.start();
    await until(node.agent, () => node.agent.brokerStatus === 'connected', 'the broker back', 180_000);
    // The last record of this node: once it is read, everything before it was.
    await emitCustom(esl, FILL, 1, 99);
    const got: EventPayload[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const sub = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', from: 'all' }, (m: DurableMessage) => {
      const p = JSON.parse(dec(m.data)) as EventPayload;
      got.push(p);
      m.ack();
      if (p.headers['Seq'] === '99') finish();
    });
    const timer = setTimeout(finish, 60_000);
    await finished;
    clearTimeout(timer);
    await sub.unsubscribe();

    const shown = got.map((p) => (p.headers['Event-Subclass'] === NOTICE ? `notice(${p.headers['FSBus-Events-Dropped']}/${p.headers['FSBus-Hangups-Dropped']})` : (p.headers['Seq'] ?? p.event_name)));
    const kept = got.filter((p) => p.headers['Event-Subclass'] === FILL).map((p) => p.headers['Seq']);
    assert.deepEqual(kept, ['5', '6', '7', '8', '99'], `the kept events and the last one, in order; on the topic: ${shown.join(' ')}`);
    const notices = got.filter((p) => p.headers['Event-Subclass'] === NOTICE).map((p) => [p.headers['FSBus-Events-Dropped'], p.headers['FSBus-Hangups-Dropped']]);
    assert.deepEqual(notices, [['8', '3']], `one notice for the outage; on the topic: ${shown.join(' ')}`);
    // After the events the buffer kept.
    assert.ok(shown.indexOf('notice(8/3)') > shown.indexOf('8'), shown.join(' '));
    assert.equal(counter(node, 'events_dropped'), 8);
  } finally {
    await esl.close();
    await cluster.stop();
  }
});
