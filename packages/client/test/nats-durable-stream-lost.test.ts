// The NATS twin of durable-stream-lost: nats-server restarted without its JetStream store under a
// running durable consumer (`from: 'new'`, the reviewer's billing consumer). The agent reconnects
// and creates the event stream again, and publishes into it, before the consumer's connection is
// back (it goes through a relay that holds it until then). Every event of the new stream is
// delivered — the durable is made again on the new stream, from its first sequence; before, the
// consumer waited forever on a deliver subject nothing sent to — and the loss of what the old
// stream held unread (how much is unknown) is a gap: `gaps` 1, `onGap` with `lostAt`/`restoredAt`
// and no `lost`. The sequences begin again at 1: none is taken for a copy of an old one.
// Real nats-server (JetStream, file store wiped between halt and start), simulator and agent.
import { strict as assert } from 'node:assert';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { connect, type StreamGap } from '../src/index.js';
import { gatedRelay } from '../../transport/test/support/gated-relay.js';
import { collectUntil, startStack, untilAgent } from './support/stack.js';

void test('@fsbus/client durable stream (from new) over a nats-server restarted on an empty store: every event of the new stream, and a gap of unknown size', { timeout: 60_000 }, async (t) => {
  let nats: NatsServerHandle | undefined;
  const stack = await startStack({
    startBroker: async () => (nats = await startNatsServer({ jetstream: true })),
    config: { events: { stream: { enabled: true } } },
  });
  t.after(() => stack.stop());
  const relay = await gatedRelay(nats!.port);
  t.after(() => relay.close());
  const bus = await connect({ servers: relay.url.replace('redis:', 'nats:'), timeoutMs: 5000 });
  t.after(() => bus.close());
  const node = stack.nodes[0]!;
  const inject = (marker: string, count: number): void => {
    node.sim.core.control.injectEvents({ name: 'CUSTOM', subclass: 'fsbus::cdr', count, headers: { Marker: marker } });
  };
  const gaps: StreamGap[] = [];
  const billing = bus.events('custom.fsbus.cdr', { durable: 'billing', from: 'new', onGap: (g) => gaps.push(g) });
  t.after(() => billing.close());
  await billing.ready;
  inject('before', 3);
  await collectUntil(billing, (_e, all) => all.length === 3, 'the events before the restart');

  // nats-server comes back without its store; the consumer's reconnect is held until the agent
  // created the stream again and published into it.
  relay.hold();
  await nats!.halt();
  await rm(nats!.storeDir!, { recursive: true, force: true });
  await untilAgent(node.agent, () => node.agent.brokerStatus !== 'connected', 'the agent seeing nats-server go');
  await nats!.start();
  await untilAgent(node.agent, () => node.agent.brokerStatus === 'connected', 'the agent back on nats-server');
  inject('after', 4);
  // Another consumer, started now, finds the stream and the four events in it.
  const lateBus = await connect({ servers: nats!.url, timeoutMs: 5000 });
  t.after(() => lateBus.close());
  const late = lateBus.events('custom.fsbus.cdr', { durable: 'late', from: 'all' });
  t.after(() => late.close());
  const stored = await collectUntil(late, (_e, all) => all.length === 4, 'the events after the restart, for a consumer started then');
  assert.deepEqual(stored.map((e) => e.headers['Marker']), ['after', 'after', 'after', 'after']);

  relay.release();
  const after = await collectUntil(billing, (_e, all) => all.length === 4, 'the events after the restart, for the consumer running through it');
  assert.deepEqual(after.map((e) => e.headers['Marker']), ['after', 'after', 'after', 'after']);
  assert.deepEqual(after.map((e) => e.sequence), stored.map((e) => e.sequence), 'the whole new stream');
  // And what is published from now on.
  inject('later', 2);
  const later = await collectUntil(billing, (_e, all) => all.length === 2, 'the events published once the consumer was back');
  assert.deepEqual(later.map((e) => e.headers['Marker']), ['later', 'later']);
  assert.equal(billing.duplicates, 0, 'no new event taken for a copy of an old one');
  assert.equal(billing.gaps, 1);
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0]!.lost, undefined, 'how much the lost stream held unread is unknown');
  assert.ok(gaps[0]!.lostAt <= gaps[0]!.restoredAt);
});
