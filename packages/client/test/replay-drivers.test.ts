// Replay through the SDK over the drivers whose durable streams are not JetStream: Redis Streams
// and a RabbitMQ stream queue. Same cases as the JetStream test in events.test.ts: `from: 'all'`
// replays what the agents stored, a durable consumer resumes where it stopped.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startRabbitMq, startRedis } from '@fsbus/testkit';
import type { BusEvent } from '../src/index.js';
import { collectUntil, startStack, type Broker, type Stack } from './support/stack.js';

for (const [driver, startBroker] of [
  ['redis', () => startRedis()],
  ['amqp', () => startRabbitMq()],
] as Array<[string, () => Promise<Broker>]>) {
  void describe(`@fsbus/client replay over ${driver} (2 simulated nodes)`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ nodes: 2, driver, startBroker, config: { events: { stream: { enabled: true } } } });
    });
    after(async () => {
      await stack.stop();
    });
    const inject = (node: number, subclass: string, count: number): void => {
      stack.nodes[node]!.sim.core.control.injectEvents({ name: 'CUSTOM', subclass, count, headers: { 'Seq-Marker': subclass } });
    };

    void it(`${driver}: from "all" replays the stream; a durable consumer resumes where it stopped`, async () => {
      assert.equal(stack.bus.driver.name, driver);
      const watch = stack.bus.events('custom.fsbus.replay');
      await watch.ready;
      inject(0, 'fsbus::replay', 2);
      inject(1, 'fsbus::replay', 1);
      // Stored once published live (the stream append rides the same publish).
      await collectUntil(watch, (_e, all) => all.length === 3, 'live 3');
      await watch.close();
      const live = stack.bus.events('custom.fsbus.replay', { from: 'all' });
      const replayed = await collectUntil(live, (_e, all) => all.length === 3, 'replay of 3');
      await live.close();
      assert.ok(replayed.every((e) => e.sequence !== undefined && e.sequence > 0));
      assert.deepEqual(replayed.map((e) => e.nodeId).sort(), ['node-1', 'node-1', 'node-2']);

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
        assert.ok(rest.every((e: BusEvent) => e.nodeId === 'node-2'));
      } finally {
        // Leaves the last one unacknowledged (close() would wait for the loop to be done with it).
        await again.return();
      }
    });

    void it(`${driver}: {node} filters a replay; from a sequence starts there`, async () => {
      inject(0, 'fsbus::mark', 2);
      inject(1, 'fsbus::mark', 2);
      const both = stack.bus.events('custom.fsbus.mark', { from: 'all' });
      const all = await collectUntil(both, (_e, seen) => seen.length === 4, 'four marks');
      await both.close();
      const onlyTwo = stack.bus.node('node-2').events('custom.fsbus.mark', { from: 'all' });
      const two = await collectUntil(onlyTwo, (_e, seen) => seen.length === 2, 'node-2 marks');
      await onlyTwo.close();
      assert.deepEqual(two.map((e) => e.sequence), all.filter((e) => e.nodeId === 'node-2').map((e) => e.sequence));
      const tail = stack.bus.events('custom.fsbus.mark', { from: { sequence: all[2]!.sequence! } });
      const rest = await collectUntil(tail, (_e, seen) => seen.length === 2, 'from a sequence');
      await tail.close();
      assert.deepEqual(rest.map((e) => e.sequence), all.slice(2).map((e) => e.sequence));
    });
  });
}
