// A live event stream across a broker restart: the driver restores its subscriptions, but what
// was published while the connection was down is never delivered. The stream says so: it counts
// the gap (`stream.gaps`) and calls `onGap` once the connection is back — the moment to resync
// (e.g. `show channels`). A durable stream has no gap: the broker keeps its position.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import type { DriverStatus } from '@fsbus/transport';
import { ClientErrorCode, type EventStream, type StreamGap } from '../src/index.js';
import { collectUntil, startStack, type Stack } from './support/stack.js';

void describe('event streams across a broker restart: gaps', () => {
  let nats: NatsServerHandle;
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      jetstream: true,
      config: { events: { stream: { enabled: true } } },
      startBroker: async () => (nats = await startNatsServer({ jetstream: true })),
    });
  });
  after(async () => {
    await stack.stop();
  });

  /** Resolves on the client driver's next `status` (bounded: the bound fails the test). */
  const nextStatus = (status: DriverStatus, timeoutMs = 15_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`the client's driver did not become ${status}`));
      }, timeoutMs);
      const off = stack.bus.driver.on((e) => {
        if (e.type !== 'status' || e.status !== status) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });

  const restartBroker = async (): Promise<void> => {
    const away = nextStatus('reconnecting');
    await nats.halt();
    await away;
    const back = nextStatus('connected');
    await nats.start();
    await back;
  };

  const inject = (subclass: string): void => {
    stack.nodes[0]!.sim.core.control.injectEvents({ name: 'CUSTOM', subclass, count: 1 });
  };

  void it('a live stream counts the restart in `gaps` and calls onGap once the connection is back; it goes on delivering', async () => {
    const gaps: StreamGap[] = [];
    const live = stack.bus.events('custom.fsbus.gap', { onGap: (g) => gaps.push(g) });
    await live.ready;
    try {
      assert.equal(live.gaps, 0);
      const before = new Date();
      await restartBroker();
      assert.equal(live.gaps, 1);
      assert.equal(gaps.length, 1);
      const gap = gaps[0]!;
      assert.ok(gap.lostAt instanceof Date && gap.restoredAt instanceof Date);
      // Nothing received yet: the window starts with the subscription, before the broker went.
      assert.ok(gap.lostAt.getTime() <= before.getTime() && gap.restoredAt.getTime() >= before.getTime(), 'lostAt, then restoredAt');
      assert.equal(live.dropped, 0, 'not a drop: nothing reached the stream');
      // Still subscribed: the next event arrives (published by the agent once it is back too).
      inject('fsbus::gap');
      const [event] = await collectUntil(live, () => true, 'an event after the restart');
      assert.equal(event?.subclass, 'fsbus::gap');
    } finally {
      await live.close();
    }
  });

  void it("a live stream's gap starts at the last event it received, not when the driver noticed the connection gone", async () => {
    // The broker may die with events on their way (or the connection die silently, seen only at
    // the next ping): those are lost before the driver says 'reconnecting'. The window must hold
    // them — the agent's own `fsbus::events_dropped` range may end before the client notices.
    const gaps: StreamGap[] = [];
    const opened = new Date();
    const live = stack.bus.events('custom.fsbus.window', { onGap: (g) => gaps.push(g) });
    await live.ready;
    try {
      stack.nodes[0]!.sim.core.control.injectEvents({ name: 'CUSTOM', subclass: 'fsbus::window', count: 20 });
      await collectUntil(live, (_e, all) => all.length === 20, 'the burst');
      // The stream received the last of them at or before this moment.
      const lastSeen = new Date();
      await restartBroker();
      assert.equal(gaps.length, 1);
      const first = gaps[0]!;
      assert.ok(first.lostAt.getTime() <= lastSeen.getTime(), `lostAt ${first.lostAt.toISOString()} is after the last event received (${lastSeen.toISOString()})`);
      assert.ok(first.lostAt.getTime() >= opened.getTime(), 'not before the stream was opened');
      assert.ok(first.restoredAt.getTime() >= first.lostAt.getTime(), 'lostAt, then restoredAt');
      // Nothing came since the connection was back: complete since then, not since the burst.
      const quiet = new Date();
      await restartBroker();
      assert.equal(gaps.length, 2);
      const second = gaps[1]!;
      assert.ok(second.lostAt.getTime() >= first.restoredAt.getTime(), 'the second window starts after the first ended');
      assert.ok(second.lostAt.getTime() <= quiet.getTime(), 'and before the broker went again');
    } finally {
      await live.close();
    }
  });

  void it('a live stream opened while the broker is away counts that outage once it is back', async () => {
    const gaps: StreamGap[] = [];
    const away = nextStatus('reconnecting');
    await nats.halt();
    await away;
    const live = stack.bus.events('custom.fsbus.gap', { onGap: (g) => gaps.push(g) });
    try {
      await live.ready;
      assert.equal(live.gaps, 0, 'not back yet');
      const back = nextStatus('connected');
      await nats.start();
      await back;
      assert.equal(live.gaps, 1);
      assert.equal(gaps.length, 1);
    } finally {
      await live.close();
    }
  });

  void it('a durable stream has no gaps: the broker kept its position', async () => {
    const durable = stack.bus.events('custom.fsbus.kept', { durable: 'gap-check' });
    await durable.ready;
    try {
      await restartBroker();
      assert.equal(durable.gaps, 0);
    } finally {
      await durable.close();
    }
  });

  void it('an onGap that throws ends the stream with its error; one that is not a function is refused', async () => {
    const broken = new Error('resync failed');
    const live: EventStream = stack.bus.events('custom.fsbus.gap', {
      onGap: () => {
        throw broken;
      },
    });
    await live.ready;
    await restartBroker();
    // Failed by the time the connection is back (the hook ran as it came back).
    assert.equal(live.closed, true);
    await assert.rejects(live.next(), broken);
    assert.throws(() => stack.bus.events('custom.fsbus.gap', { onGap: 'resync' as unknown as () => void }), { code: ClientErrorCode.INVALID_ARGUMENT });
  });
});
