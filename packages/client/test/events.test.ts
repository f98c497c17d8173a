// Event iteration: typed events, node filtering, bounded buffering with a drop counter, and
// replay from the agent's JetStream stream.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { ClientErrorCode, type BusEvent } from '../src/index.js';
import { collectUntil, startStack, type Stack } from './support/stack.js';

void describe('@fsbus/client events (nats + JetStream, 2 simulated nodes)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ nodes: 2, jetstream: true, config: { events: { stream: { enabled: true } } } });
  });
  after(async () => {
    await stack.stop();
  });

  const inject = (node: number, subclass: string, count: number): void => {
    stack.nodes[node]!.sim.core.control.injectEvents({
      name: 'CUSTOM',
      subclass,
      count,
      headers: { 'Seq-Marker': subclass },
    });
  };
  const seqOf = (e: BusEvent): number => Number(e.header('Event-Sequence'));

  void it('a slow consumer keeps the newest bufferSize events and counts the rest as dropped', async () => {
    const slow = stack.bus.events('custom.fsbus.burst', { bufferSize: 5 });
    const fast = stack.bus.events('custom.fsbus.burst', { bufferSize: 1000 });
    await Promise.all([slow.ready, fast.ready]);
    try {
      inject(0, 'fsbus::burst', 50);
      const all = await collectUntil(fast, (_e, seen) => seen.length === 50, '50 events');
      // Both subscriptions share the connection: once the flush round trip is back, the slow
      // one has been handed every message the server sent before it.
      await stack.bus.driver.flush();
      assert.equal(slow.received, 50);
      assert.equal(slow.buffered, 5);
      assert.equal(slow.dropped, 45);
      const kept: BusEvent[] = [];
      for (let i = 0; i < 5; i++) kept.push((await slow.next()).value as BusEvent);
      assert.deepEqual(kept.map(seqOf), all.slice(-5).map(seqOf));
      assert.equal(fast.dropped, 0);
    } finally {
      await slow.close();
      await fast.close();
    }
    assert.deepEqual(await slow.next(), { value: undefined, done: true });
  });

  void it('events carry the node, the CUSTOM subclass and typed accessors; {node} filters', async () => {
    const onlyTwo = stack.bus.node('node-2').events(['custom.fsbus.mark']);
    const both = stack.bus.events('custom.fsbus.*');
    await Promise.all([onlyTwo.ready, both.ready]);
    try {
      inject(0, 'fsbus::mark', 1);
      inject(1, 'fsbus::mark', 1);
      const seen = await collectUntil(both, (_e, all) => all.length === 2, 'one mark per node');
      assert.deepEqual(seen.map((e) => e.nodeId).sort(), ['node-1', 'node-2']);
      const [mine] = await collectUntil(onlyTwo, () => true, 'node-2 mark');
      assert.equal(mine!.nodeId, 'node-2');
      assert.equal(mine!.name, 'CUSTOM');
      assert.equal(mine!.subclass, 'fsbus::mark');
      assert.equal(mine!.subject, 'freeswitch.events.custom.fsbus.mark');
      assert.equal(mine!.header('Seq-Marker'), 'fsbus::mark');
      assert.ok(mine!.date.getTime() > 0);
      await stack.bus.driver.flush();
      assert.equal(onlyTwo.buffered, 0, 'node-1 event filtered out');
    } finally {
      await onlyTwo.close();
      await both.close();
    }
  });

  void it('from: "all" replays the stream; a durable consumer resumes where it stopped', async () => {
    inject(1, 'fsbus::replay', 3);
    const live = stack.bus.events('custom.fsbus.replay', { from: 'all' });
    const replayed = await collectUntil(live, (_e, all) => all.length === 3, 'replay of 3');
    await live.close();
    assert.ok(replayed.every((e) => e.sequence !== undefined && e.sequence > 0));

    const first = stack.bus.events('custom.fsbus.replay', { durable: 'billing' });
    await collectUntil(first, (_e, all) => all.length === 3, 'durable first read');
    await first.close();
    inject(1, 'fsbus::replay', 2);
    const again = stack.bus.events('custom.fsbus.replay', { durable: 'billing' });
    try {
      const rest = await collectUntil(again, (_e, all) => all.length === 2, 'durable resume');
      assert.ok(rest.every((e) => e.sequence! > replayed.at(-1)!.sequence!), 'only the new events');
    } finally {
      await again.close();
    }
  });

  void it('patterns are checked; an aborted signal ends the iteration', async () => {
    assert.throws(() => stack.bus.events([]), { code: ClientErrorCode.INVALID_ARGUMENT });
    assert.throws(() => stack.bus.events('bad pattern' as 'channel.>'), { code: ClientErrorCode.INVALID_ARGUMENT });
    const controller = new AbortController();
    const s = stack.bus.events('CHANNEL_CREATE', { signal: controller.signal });
    await s.ready;
    const pending = s.next();
    controller.abort();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(s.closed, true);
  });
});
