/**
 * Durable replay end to end over any driver with durable streams: an agent with
 * `events.stream.enabled` publishes FreeSWITCH events; a durable consumer that was offline gets
 * exactly what it missed; an ephemeral replay from 'all' and from a sequence sees the stream.
 * Re-run per driver (`replay-redis.test.ts`, `replay-amqp.test.ts`) like the JetStream test.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import type { DurableMessage, InboundMessage } from '@fsbus/transport';
import { dec, emitCustom, eslTo, startCluster, type ClusterBroker } from './cluster.js';

class Inbox<T> {
  readonly items: T[] = [];
  #waiters: Array<[number, () => void]> = [];
  push = (item: T): void => {
    this.items.push(item);
    this.#waiters = this.#waiters.filter(([n, resolve]) => (this.items.length >= n ? (resolve(), false) : true));
  };
  until(n: number, timeoutMs = 15_000): Promise<T[]> {
    if (this.items.length >= n) return Promise.resolve(this.items);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${this.items.length} of ${n}`)), timeoutMs);
      this.#waiters.push([n, () => (clearTimeout(timer), resolve(this.items))]);
    });
  }
}

const seqHeader = (m: InboundMessage) => Number((JSON.parse(dec(m.data)) as EventPayload).headers['Seq']);
/** The test's events, not the agents' own (agent_start passes any include list: docs/contract.md "Events"). */
const replayed = (m: InboundMessage) => (JSON.parse(dec(m.data)) as EventPayload).headers['Event-Subclass'] === 'fsbus::replay';

export function runStreamReplay(driver: string, startBroker: () => Promise<ClusterBroker>): void {
  void test(`${driver}: a durable consumer that was offline gets what it missed from the agent's stream`, async () => {
    const cluster = await startCluster({
      nodes: 2,
      driver,
      startBroker,
      config: { events: { include: ['CUSTOM::fsbus::replay'], stream: { enabled: true, max_age_ms: 3_600_000 } } },
    });
    try {
      const [esl1, esl2] = [await eslTo(cluster.nodes[0]!.sim), await eslTo(cluster.nodes[1]!.sim)];
      const first = new Inbox<DurableMessage>();
      const c1 = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', durable: 'billing', from: 'all' }, (m) => {
        if (replayed(m)) first.push(m);
        m.ack();
      });
      await emitCustom(esl1, 'fsbus::replay', 5, 0);
      await first.until(5);
      await c1.unsubscribe();
      // The consumer is offline while these happen, on both nodes (one stream for every agent).
      await emitCustom(esl1, 'fsbus::replay', 4, 5);
      await emitCustom(esl2, 'fsbus::replay', 3, 9);
      const live = new Inbox<InboundMessage>();
      const witness = cluster.client.subscribe('freeswitch.events.>', live.push);
      await cluster.client.flush();
      await emitCustom(esl1, 'fsbus::replay', 1, 12);
      await live.until(1);
      const second = new Inbox<DurableMessage>();
      const c2 = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', durable: 'billing' }, (m) => {
        if (replayed(m)) second.push(m);
        m.ack();
      });
      const missed = await second.until(8);
      assert.deepEqual(missed.map(seqHeader).sort((a, b) => a - b), [5, 6, 7, 8, 9, 10, 11, 12]);
      assert.ok(missed.every((m, i) => i === 0 || m.sequence > missed[i - 1]!.sequence), 'in stream order');
      assert.ok(missed[0]!.sequence > first.items.at(-1)!.sequence);
      const nodes = new Set(missed.map((m) => (JSON.parse(dec(m.data)) as EventPayload).node_id));
      assert.deepEqual([...nodes].sort(), ['node-1', 'node-2']);
      await c2.unsubscribe();
      // An ephemeral replay: everything, then from a sequence.
      const all = new Inbox<DurableMessage>();
      const r1 = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', from: 'all', filter: 'freeswitch.events.custom.fsbus.replay' }, all.push);
      const everything = await all.until(13);
      await r1.unsubscribe();
      assert.deepEqual(everything.map(seqHeader).sort((a, b) => a - b), Array.from({ length: 13 }, (_, i) => i));
      const from = everything[10]!.sequence;
      const tail = new Inbox<DurableMessage>();
      const r2 = await cluster.client.consumeDurable({ stream: 'FREESWITCH_EVENTS', from: { sequence: from } }, tail.push);
      assert.deepEqual((await tail.until(3)).map((m) => m.sequence), everything.slice(10).map((m) => m.sequence));
      await r2.unsubscribe();
      await witness.unsubscribe();
      await esl1.close();
      await esl2.close();
    } finally {
      await cluster.stop();
    }
  });
}
