// Event iteration: typed events, node filtering, bounded buffering with a drop counter, and
// replay from the agent's JetStream stream.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { ClientErrorCode, type BusEvent } from '../src/index.js';
import { collectUntil, startStack, untilFlushed, type Stack } from './support/stack.js';

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

  void it('events carry the node, the CUSTOM subclass and typed accessors; {node} filters; events.subscribe is the same', async () => {
    // events.subscribe(pattern): SPEC §5's name for bus.events(pattern), node handle included.
    const onlyTwo = stack.bus.node('node-2').events.subscribe(['custom.fsbus.mark']);
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
    // The last one read is acknowledged when the loop asks for more, or by ack().
    first.ack();
    await first.close();
    inject(1, 'fsbus::replay', 2);
    const again = stack.bus.events('custom.fsbus.replay', { durable: 'billing' });
    try {
      const rest = await collectUntil(again, (_e, all) => all.length === 2, 'durable resume');
      assert.ok(rest.every((e) => e.sequence! > replayed.at(-1)!.sequence!), 'only the new events');
    } finally {
      // Leaves the last one unacknowledged (close() would wait for the loop to be done with it).
      await again.return();
    }
  });

  /** The stream sequences of every `subclass` event stored so far, by a replay. */
  const stored = async (subject: 'custom.fsbus.held' | 'custom.fsbus.restart', count: number): Promise<number[]> => {
    const replay = stack.bus.events(subject, { from: 'all' });
    try {
      return (await collectUntil(replay, (_e, all) => all.length === count, `replay of ${count}`)).map((e) => e.sequence!);
    } finally {
      await replay.close();
    }
  };

  void it('a durable consumer is held back to bufferSize unacknowledged events: nothing dropped, all in order', async () => {
    inject(0, 'fsbus::held', 30);
    const sequences = await stored('custom.fsbus.held', 30);
    const held = stack.bus.events('custom.fsbus.held', { durable: 'held', bufferSize: 5 });
    try {
      await held.ready;
      await untilFlushed(stack.bus.driver, () => held.buffered === 5, 'a full buffer');
      await stack.bus.driver.flush();
      assert.equal(held.dropped, 0);
      const read = await collectUntil(held, (_e, all) => all.length === 30, 'all 30, five at a time');
      assert.deepEqual(read.map((e) => e.sequence), sequences);
      assert.equal(held.dropped, 0);
    } finally {
      await held.return();
    }
  });

  void it('a durable consumer that stops with events in its buffer gets them first, in order, when it comes back', async () => {
    inject(1, 'fsbus::restart', 20);
    const sequences = await stored('custom.fsbus.restart', 20);
    const first = stack.bus.events('custom.fsbus.restart', { durable: 'restarted' });
    const head = await collectUntil(first, (_e, all) => all.length === 3, 'the first 3');
    // The other 17 reached the buffer, unread (the broker pushes what it may at once).
    await untilFlushed(stack.bus.driver, () => first.buffered === 17, '17 buffered');
    first.ack();
    await first.close();
    const again = stack.bus.events('custom.fsbus.restart', { durable: 'restarted' });
    try {
      const rest = await collectUntil(again, (_e, all) => all.length === 17, 'the 17 unread, at once');
      assert.deepEqual([...head, ...rest].map((e) => e.sequence), sequences);
    } finally {
      // Leaves the last one unacknowledged (close() would wait for the loop to be done with it).
      await again.return();
    }
  });

  void it('a durable name reused with another pattern is refused, naming the durable and its filter', async () => {
    const first = stack.bus.events('custom.fsbus.one', { durable: 'picky' });
    await first.ready;
    await first.close();
    const other = stack.bus.events('custom.fsbus.two', { durable: 'picky' });
    await assert.rejects(other.ready, (err: Error & { code?: string }) => {
      assert.equal(err.code, ClientErrorCode.STREAM);
      assert.match(err.message, /'picky'/);
      assert.match(err.message, /'freeswitch\.events\.custom\.fsbus\.one'/);
      assert.match(err.message, /'freeswitch\.events\.custom\.fsbus\.two'/);
      return true;
    });
    await assert.rejects(other.next(), { code: ClientErrorCode.STREAM });
    // The same pattern still works.
    const same = stack.bus.events('custom.fsbus.one', { durable: 'picky' });
    await same.ready;
    await same.close();
  });

  void it('a stream that does not exist fails with FSBUS_ERR_CLIENT_STREAM, not a lost connection', async () => {
    const none = stack.bus.events('>', { from: 'all', stream: 'NOPE' });
    await assert.rejects(none.ready, (err: Error & { code?: string }) => {
      assert.equal(err.code, ClientErrorCode.STREAM);
      assert.match(err.message, /NOPE/);
      return true;
    });
    const durable = stack.bus.events('>', { durable: 'nobody', stream: 'NOPE' });
    await assert.rejects(durable.ready, { code: ClientErrorCode.STREAM });
    assert.equal(stack.bus.driver.status, 'connected');
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
