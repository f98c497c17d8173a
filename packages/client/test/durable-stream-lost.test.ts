// A Redis restarted without persistence under a running durable consumer (`from: 'new'`, the
// reviewer's billing consumer): the agent reconnects and appends to a new stream before the
// consumer's reader is back (its connection goes through a relay that holds it until then). Every
// event of the new stream is delivered — before, only those appended after the reader re-made its
// group ('$') — and the loss of what the old stream held unread (how much is unknown) is a gap:
// `gaps` 1, `onGap` with `lostAt`/`restoredAt` and no `lost`. A consumer starting after the restart
// finds the stream (the agent registered it again; before: `stream … not found`).
// Real redis-server, simulator and agent.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { startRedis, type BrokerHandle } from '@fsbus/testkit';
import { connect, type StreamGap } from '../src/index.js';
import { gatedRelay } from '../../transport/test/support/gated-relay.js';
import { collectUntil, startStack, untilAgent } from './support/stack.js';

void test('@fsbus/client durable stream (from new) over a Redis restarted empty: every event of the new stream, and a gap of unknown size', { timeout: 60_000 }, async (t) => {
  let redis: BrokerHandle | undefined;
  const stack = await startStack({
    driver: 'redis',
    startBroker: async () => (redis = await startRedis()),
    config: { events: { stream: { enabled: true } } },
  });
  t.after(() => stack.stop());
  const relay = await gatedRelay(redis!.port);
  t.after(() => relay.close());
  const bus = await connect({ driver: 'redis', servers: relay.url, timeoutMs: 5000 });
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

  // Redis restarts empty; the consumer's reconnect is held until the agent appended again.
  relay.hold();
  await redis!.halt();
  await untilAgent(node.agent, () => node.agent.brokerStatus !== 'connected', 'the agent seeing Redis go');
  await redis!.start();
  await untilAgent(node.agent, () => node.agent.brokerStatus === 'connected', 'the agent back on Redis');
  inject('after', 4);
  // Another consumer, started now, finds the stream and the four events in it.
  const lateBus = await connect({ driver: 'redis', servers: redis!.url, timeoutMs: 5000 });
  t.after(() => lateBus.close());
  const late = lateBus.events('custom.fsbus.cdr', { durable: 'late', from: 'all' });
  t.after(() => late.close());
  const stored = await collectUntil(late, (_e, all) => all.length === 4, 'the events after the restart, for a consumer started then');
  assert.deepEqual(stored.map((e) => e.headers['Marker']), ['after', 'after', 'after', 'after']);
  assert.equal(late.gaps, 0);

  relay.release();
  const after = await collectUntil(billing, (_e, all) => all.length === 4, 'the events after the restart, for the consumer running through it');
  assert.deepEqual(after.map((e) => e.headers['Marker']), ['after', 'after', 'after', 'after']);
  assert.deepEqual(after.map((e) => e.sequence), [1, 2, 3, 4], 'the whole new stream');
  assert.equal(billing.gaps, 1);
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0]!.lost, undefined, 'how much the lost stream held unread is unknown');
  assert.ok(gaps[0]!.lostAt <= gaps[0]!.restoredAt);
});
