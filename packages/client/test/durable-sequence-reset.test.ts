// A durable stream takes an event for a copy of one it acknowledged only when the broker says it
// sends it again: a Redis restarted without persistence starts its stream sequence over (the
// reader creates its group again), so new events come with sequences this stream acknowledged
// before. They are new, and handed out; none is counted in `duplicates`.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startRedis, type BrokerHandle } from '@fsbus/testkit';
import { collectUntil, startStack, type Stack } from './support/stack.js';

void describe('@fsbus/client durable stream over a Redis that lost its data', () => {
  let redis: BrokerHandle;
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      driver: 'redis',
      startBroker: async () => (redis = await startRedis()),
      config: { events: { stream: { enabled: true } } },
    });
  });
  after(() => stack.stop());
  const inject = (subclass: string, count: number): void => {
    stack.nodes[0]!.sim.core.control.injectEvents({ name: 'CUSTOM', subclass, count, headers: { 'Seq-Marker': subclass } });
  };

  void it('events whose sequences the stream acknowledged before the restart are handed out, not dropped', async () => {
    const stream = stack.bus.events('custom.fsbus.reset', { durable: 'billing' });
    try {
      await stream.ready;
      inject('fsbus::reset', 3);
      const first = await collectUntil(stream, (_e, all) => all.length === 3, 'first batch');
      stream.ack();
      // Without persistence: the stream, its sequence counter and the group are gone.
      await redis.restart();
      inject('fsbus::reset', 3);
      const second = await collectUntil(stream, (_e, all) => all.length === 3, 'batch after the restart');
      const acked = new Set(first.map((e) => e.sequence));
      assert.ok(second.filter((e) => acked.has(e.sequence)).length >= 2, `the counter began again: ${second.map((e) => e.sequence).join(',')}`);
      assert.equal(stream.duplicates, 0);
      stream.ack();
    } finally {
      await stream.close();
    }
  });
});
