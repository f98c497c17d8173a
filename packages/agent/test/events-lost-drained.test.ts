// A burst faster than the broker takes fills the agent's buffer while the broker stays connected
// (a frozen nats-server: nothing confirmed past the driver's write window). Its drops were told
// (fsbus::events_dropped) only by the next event sent at once — on a quiet node the next
// HEARTBEAT, 20 s later, by when a consumer of the burst may be gone. Told once the buffer drained.
// Real nats-server, simulator and agent; waited for by event.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { EslEvent } from '@fsbus/esl';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { arrival } from './support/arrival.js';
import { dec, eslTo, logLine, startCluster } from './support/cluster.js';

const FILL = 'fsbus::test_fill';
const BODY = 'x'.repeat(64 * 1024);
const EVENTS_DROPPED_LOG = 'outgoing buffer full: oldest events dropped';

void test('a buffer that overflowed with the broker connected is told once it drained, with no event after the burst', { timeout: 60_000 }, async () => {
  let nats: NatsServerHandle | undefined;
  const cluster = await startCluster({
    startBroker: async () => (nats = await startNatsServer()),
    // The least write window (1 MiB, buffer_bytes below it) and a buffer of four events.
    config: { broker: { buffer_messages: 4, buffer_bytes: 512 * 1024 }, events: { include: [`CUSTOM::${FILL}`, 'CUSTOM::fsbus::events_dropped'] } },
  });
  const node = cluster.nodes[0]!;
  const esl = await eslTo(node.sim);
  try {
    const got: EventPayload[] = [];
    cluster.client.subscribe('freeswitch.events.>', (m) => got.push(JSON.parse(dec(m.data)) as EventPayload));
    await cluster.client.flush();
    const statuses: string[] = [];
    const off = node.agent.onStateChange(() => statuses.push(node.agent.brokerStatus));
    await nats!.pause();
    // 1.5 MiB: past the window nothing is written, and past four the buffer drops its oldest.
    for (let i = 0; i < 24; i++) await esl.sendevent(new EslEvent([['Event-Name', 'CUSTOM'], ['Event-Subclass', FILL], ['Seq', String(i)]], BODY));
    await logLine(node, EVENTS_DROPPED_LOG);
    nats!.resume();
    const told = await arrival(got, (p) => p.headers['Event-Subclass'] === 'fsbus::events_dropped', 'fsbus::events_dropped (no event sent after the burst)');
    off();
    assert.ok(!statuses.includes('reconnecting'), `the broker stayed connected: ${statuses.join(', ')}`);
    const dropped = (node.agent.status()['counters'] as Record<string, number>)['events_dropped'];
    assert.ok(dropped !== undefined && dropped >= 1);
    assert.equal(told.headers['FSBus-Events-Dropped'], String(dropped));
    // Everything not dropped arrived, before the announcement.
    const fills = got.filter((p) => p.headers['Event-Subclass'] === FILL).length;
    assert.equal(fills + dropped, 24);
    assert.equal(got.indexOf(told), got.length - 1);
  } finally {
    await esl.close();
    await cluster.stop();
  }
});

