// RabbitMQ durable streams, beyond the conformance case: a stream queue (no plugin) bound to the
// exchange, replay from a sequence (offset + 1) and from a time (whole seconds), retention by
// size, named durable consumers whose position lives in the companion offset queue.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, type ChannelModel } from 'amqplib';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver, type DurableMessage, type ReplayFrom, type RetentionLoss } from '@fsbus/transport';
import { Collector, dec, enc } from './conformance/helpers.js';

/**
 * A whole second of the wall clock at least 250 ms away, resolved 250 ms past it: what was stored
 * before and after falls on either side of it even when the broker's clock (same host, but the
 * Erlang VM's own time) is a few ms off ours.
 */
function secondBetween(): Promise<number> {
  const at = (Math.floor((Date.now() + 250) / 1000) + 1) * 1000;
  return new Promise((resolve) => setTimeout(() => resolve(at), at + 250 - Date.now()));
}

void describe('amqp durable streams', () => {
  let broker: RabbitMqHandle;
  let raw: ChannelModel;
  const opened: Driver[] = [];
  let n = 0;
  const driver = async (): Promise<Driver> => {
    const d = await createDriver('amqp', { urls: [broker.url], namespace: 'dur' });
    opened.push(d);
    await d.connect();
    return d;
  };
  const replay = async (d: Driver, stream: string, from: ReplayFrom, count: number): Promise<DurableMessage[]> => {
    const got = new Collector<DurableMessage>();
    const sub = await d.consumeDurable({ stream, from }, got.push);
    try {
      return (await got.until(count)).slice(0, count);
    } finally {
      await sub.unsubscribe();
    }
  };

  before(async () => {
    broker = await startRabbitMq();
    raw = await connect(broker.url);
  });
  after(async () => {
    for (const d of opened) await d.close();
    await raw.close();
    await broker.stop();
  });

  void test('a stream queue bound to the exchange stores every matching publish; replay from a sequence', async () => {
    const stream = `S${++n}`;
    const [a, b] = [await driver(), await driver()];
    await a.ensureStream({ name: stream, subjects: ['a.events.>'], maxAgeMs: 3_600_000 });
    // Idempotent across agents and restarts (same retention).
    await b.ensureStream({ name: stream, subjects: ['a.events.>'], maxAgeMs: 3_600_000 });
    for (let i = 1; i <= 20; i++) (i % 2 === 0 ? a : b).publish(`a.events.${i % 2 === 0 ? 'even' : 'odd'}`, enc(String(i)));
    a.publish('a.other', enc('not in the stream'));
    await Promise.all([a.flush(), b.flush()]);
    const all = await replay(a, stream, 'all', 20);
    assert.deepEqual(all.map((m) => m.sequence), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.deepEqual(new Set(all.map((m) => dec(m.data))).size, 20);
    for (const from of [1, 2, 13, 20]) {
      const got = await replay(a, stream, { sequence: from }, 21 - from);
      assert.deepEqual(got.map((m) => m.sequence), Array.from({ length: 21 - from }, (_, i) => from + i), `from ${from}`);
    }
    const evens = new Collector<string>();
    const sub = await a.consumeDurable({ stream, filter: 'a.events.even' }, (m) => evens.push(dec(m.data)));
    assert.deepEqual((await evens.until(10)).slice(0, 10), ['2', '4', '6', '8', '10', '12', '14', '16', '18', '20']);
    await sub.unsubscribe();
    // The queue exists with that retention: another one is refused, naming why.
    await assert.rejects(b.ensureStream({ name: stream, subjects: ['a.events.>'], maxAgeMs: 60_000 }), (err: Error & { code?: string }) => {
      assert.equal(err.code, TransportErrorCode.BROKER);
      assert.match(err.message, /policy or delete the queue/);
      return true;
    });
    assert.equal(a.status, 'connected');
  });

  void test('replay from a time (whole seconds of the broker clock) and from "new"', async () => {
    const stream = `S${++n}`;
    const d = await driver();
    await d.ensureStream({ name: stream, subjects: ['b.events.>'] });
    for (let i = 0; i < 3; i++) d.publish('b.events.x', enc(`early${i}`));
    await d.flush();
    // AMQP timestamps are seconds: the later batch must be stored in a later second.
    const t = await secondBetween();
    for (let i = 0; i < 2; i++) d.publish('b.events.x', enc(`late${i}`));
    await d.flush();
    const got = await replay(d, stream, { time: new Date(t) }, 2);
    assert.deepEqual(got.map((m) => [m.sequence, dec(m.data)]), [[4, 'late0'], [5, 'late1']]);
    const live = new Collector<string>();
    const sub = await d.consumeDurable({ stream, from: 'new' }, (m) => live.push(dec(m.data)));
    d.publish('b.events.x', enc('after'));
    assert.deepEqual(await live.until(1), ['after']);
    await sub.unsubscribe();
  });

  void test('retention by size drops the oldest segments; retention by count is refused, typed', async () => {
    const stream = `S${++n}`;
    const d = await driver();
    await d.ensureStream({ name: stream, subjects: ['c.events.>'], maxBytes: 64 * 1024 });
    const body = (i: number) => enc(String(i).padEnd(1000, '.'));
    // Flushed every 10: many small chunks, as a live event flow writes them (one chunk larger
    // than the whole cap would be dropped with its segment).
    for (let i = 1; i <= 300; i++) {
      d.publish('c.events.x', body(i));
      if (i % 10 === 0) await d.flush();
    }
    // Retention runs after a segment rolls over, behind the writer: a replay may start before it
    // caught up and be overtaken while it reads. What it skips then is told, never dropped unsaid.
    const index = (m: DurableMessage) => Number(dec(m.data).replace(/\.+$/, ''));
    const kept: Array<{ index: number; sequence: number; bytes: number; losses: number }> = [];
    const losses: RetentionLoss[] = [];
    const last = new Collector<true>();
    const sub = await d.consumeDurable({ stream, from: 'all', onRetentionLoss: (l) => void losses.push(l) }, (m) => {
      kept.push({ index: index(m), sequence: m.sequence, bytes: m.data.byteLength, losses: losses.length });
      if (index(m) === 300) last.push(true);
    });
    await last.until(1);
    assert.ok(kept[0]!.index > 1, `oldest kept is message ${kept[0]!.index}`);
    for (let i = 1; i < kept.length; i++) {
      const [before, now] = [kept[i - 1]!, kept[i]!];
      // Sequences grow; RabbitMQ's own records at segment starts leave gaps.
      assert.ok(now.sequence > before.sequence);
      if (now.index === before.index + 1) continue;
      const told = losses.slice(0, now.losses).find((l) => l.from === before.sequence + 1 && l.to === now.sequence - 1);
      assert.ok(told, `messages ${before.index + 1}–${now.index - 1} skipped, told before ${now.index}: ${JSON.stringify(losses)}`);
    }
    assert.ok(kept.reduce((bytes, m) => bytes + m.bytes, 0) < 300 * 1000);
    await sub.unsubscribe();
    await assert.rejects(d.ensureStream({ name: `S${++n}`, subjects: ['c.>'], maxMessages: 10 }), { code: TransportErrorCode.UNSUPPORTED });
    await assert.rejects(d.consumeDurable({ stream: 'NOPE' }, () => undefined), { code: TransportErrorCode.BROKER });
    assert.equal(d.status, 'connected');
  });

  void test('a named durable consumer resumes at its first un-acked message; the position is in the offset queue', async () => {
    const stream = `S${++n}`;
    const [pub, consumer] = [await driver(), await driver()];
    await pub.ensureStream({ name: stream, subjects: ['e.events.>'] });
    for (let i = 1; i <= 5; i++) pub.publish('e.events.x', enc(String(i)));
    await pub.flush();
    const first = new Collector<DurableMessage>();
    const c1 = await consumer.consumeDurable({ stream, durable: 'billing' }, first.push);
    const seen = await first.until(5);
    for (const m of seen.slice(0, 3)) m.ack();
    seen[4]!.ack(); // 4 stays un-acked: the position stops before it
    await c1.unsubscribe();
    const ch = await raw.createChannel();
    const stored = await ch.get(`dur.stream.${stream}.offset.billing`, { noAck: false });
    assert.ok(stored !== false);
    assert.equal(stored.content.toString(), '3', 'next offset to read = sequence 4 − 1');
    ch.nack(stored, false, true);
    await ch.close();
    for (let i = 6; i <= 7; i++) pub.publish('e.events.x', enc(String(i)));
    await pub.flush();
    const second = new Collector<DurableMessage>();
    const c2 = await consumer.consumeDurable({ stream, durable: 'billing', from: 'new' }, (m) => {
      second.push(m);
      m.ack();
    });
    assert.deepEqual((await second.until(4)).map((m) => dec(m.data)), ['4', '5', '6', '7']);
    await c2.unsubscribe();
    const third = new Collector<string>();
    const c3 = await consumer.consumeDurable({ stream, durable: 'billing' }, (m) => third.push(dec(m.data)));
    pub.publish('e.events.x', enc('8'));
    assert.deepEqual(await third.until(1), ['8']);
    await c3.unsubscribe();
  });
});
