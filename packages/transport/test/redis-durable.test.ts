// Redis durable streams, beyond the conformance case: the `<ms>-<sequence>` ID scheme, replay from
// a sequence and from a time, a broker clock that stepped back and a lost sequence counter,
// retention by count and by age, consumer groups (ack, redelivery, filters), several publishers on
// one stream, and what a non-fsbus client sees with XRANGE.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis, type BrokerHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver, type DurableMessage, type ReplayFrom } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus, within } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

/** The broker's clock in ms (what stream IDs and MINID use). */
async function brokerMs(r: Redis): Promise<number> {
  const [s, us] = await r.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Waits for the condition retention/time replay depend on: the broker's clock past `ms` (bounded). */
async function brokerClockPast(r: Redis, ms: number): Promise<void> {
  for (let i = 0; i < 100_000; i++) if ((await brokerMs(r)) > ms) return;
  throw new Error(`broker clock never passed ${ms}`);
}

const idMs = (id: string): number => Number(id.split('-')[0]);

void describe('redis durable streams', () => {
  let broker: BrokerHandle;
  let raw: Redis;
  const opened: Driver[] = [];
  let n = 0;
  const driver = async (): Promise<Driver> => {
    const d = await createDriver('redis', { urls: [broker.url], namespace: 'dur' });
    opened.push(d);
    await d.connect();
    return d;
  };
  /** Reads a replay until `count` messages arrived, then stops it. */
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
    broker = await startRedis();
    raw = new Redis(broker.url);
  });
  after(async () => {
    for (const d of opened) await d.close();
    await raw.quit();
    await broker.stop();
  });

  void test('IDs are <ms>-<sequence>; replay from any sequence starts exactly there', async () => {
    const stream = `S${++n}`;
    const d = await driver();
    await d.ensureStream({ name: stream, subjects: ['a.events.>'] });
    for (let i = 1; i <= 300; i++) d.publish('a.events.x', enc(String(i)));
    d.publish('a.other', enc('not in the stream'));
    await d.flush();
    const ids = (await raw.xrange(`dur:stream:${stream}`, '-', '+')).map(([id]) => id);
    assert.equal(ids.length, 300);
    assert.deepEqual(ids.map((id) => Number(id.split('-')[1])), Array.from({ length: 300 }, (_, i) => i + 1));
    for (const from of [1, 2, 77, 150, 299, 300]) {
      const got = await replay(d, stream, { sequence: from }, 301 - from);
      assert.deepEqual(got.map((m) => m.sequence), Array.from({ length: 301 - from }, (_, i) => from + i), `from ${from}`);
      assert.deepEqual(got.map((m) => dec(m.data)), got.map((m) => String(m.sequence)));
    }
    // Past the end: only what comes next, from that sequence on.
    const later = new Collector<number>();
    const sub = await d.consumeDurable({ stream, from: { sequence: 302 } }, (m) => later.push(m.sequence));
    for (let i = 301; i <= 303; i++) d.publish('a.events.x', enc(String(i)));
    assert.deepEqual(await later.until(2), [302, 303]);
    await sub.unsubscribe();
    const fresh = await replay(d, stream, 'all', 303);
    assert.equal(fresh.at(-1)!.subject, 'a.events.x');
  });

  void test('a clock that stepped back and a lost counter key: IDs keep growing, sequences stay gapless', async () => {
    const stream = `S${++n}`;
    const key = `dur:stream:${stream}`;
    const d = await driver();
    await d.ensureStream({ name: stream, subjects: ['c.events.>'] });
    d.publish('c.events.x', enc('1'));
    await d.flush();
    // An entry written while the broker's clock was an hour ahead: the clock has since stepped back.
    const ahead = (await brokerMs(raw)) + 3_600_000;
    await raw.xadd(key, `${ahead}-2`, 'subject', 'c.events.x', 'data', '2', 'headers', '');
    await raw.set(`${key}:seq`, '2');
    d.publish('c.events.x', enc('3'));
    await d.flush();
    // The counter key is lost (evicted, deleted): the next sequence comes from the stream's last ID.
    await raw.del(`${key}:seq`);
    d.publish('c.events.x', enc('4'));
    await d.flush();
    const ids = (await raw.xrange(key, '-', '+')).map(([id]) => id);
    assert.deepEqual(ids.map((id) => Number(id.split('-')[1])), [1, 2, 3, 4]);
    assert.deepEqual(ids.slice(1).map(idMs), [ahead, ahead, ahead], 'the last ID\'s ms is kept while the clock is behind it');
    const got = await replay(d, stream, { sequence: 1 }, 4);
    assert.deepEqual(got.map((m) => [m.sequence, dec(m.data)]), [[1, '1'], [2, '2'], [3, '3'], [4, '4']]);
  });

  void test('replay from a time: entries stored at or after it, by the broker clock', async () => {
    const stream = `S${++n}`;
    const d = await driver();
    await d.ensureStream({ name: stream, subjects: ['b.events.>'] });
    for (let i = 0; i < 5; i++) d.publish('b.events.early', enc(`e${i}`));
    await d.flush();
    const lastEarly = idMs((await raw.xrevrange(`dur:stream:${stream}`, '+', '-', 'COUNT', 1))[0]![0]);
    await brokerClockPast(raw, lastEarly);
    for (let i = 0; i < 3; i++) d.publish('b.events.late', enc(`l${i}`));
    await d.flush();
    const got = await replay(d, stream, { time: new Date(lastEarly + 1) }, 3);
    assert.deepEqual(got.map((m) => dec(m.data)), ['l0', 'l1', 'l2']);
    assert.deepEqual(got.map((m) => m.sequence), [6, 7, 8]);
    assert.equal((await replay(d, stream, { time: new Date(lastEarly) }, 1))[0]!.sequence <= 5, true);
    // 'new' sees only what is published after the consumer started.
    const live = new Collector<string>();
    const sub = await d.consumeDurable({ stream, from: 'new' }, (m) => live.push(dec(m.data)));
    d.publish('b.events.late', enc('after'));
    assert.deepEqual(await live.until(1), ['after']);
    await sub.unsubscribe();
  });

  void test('retention by count (MAXLEN ~: whole nodes) and by age (exact MINID)', async () => {
    const byCount = `S${++n}`;
    const d = await driver();
    await d.ensureStream({ name: byCount, subjects: ['c.events.>'], maxMessages: 10 });
    for (let i = 1; i <= 350; i++) d.publish('c.events.x', enc(String(i)));
    await d.flush();
    const len = await raw.xlen(`dur:stream:${byCount}`);
    const nodeMax = Number((await raw.config('GET', 'stream-node-max-entries'))[1]);
    assert.ok(len >= 10 && len <= 10 + nodeMax, `kept ${len}`);
    const kept = await replay(d, byCount, 'all', len);
    assert.equal(kept[0]!.sequence, 351 - len);
    assert.equal(kept.at(-1)!.sequence, 350);

    const byAge = `S${++n}`;
    await d.ensureStream({ name: byAge, subjects: ['d.events.>'], maxAgeMs: 5 });
    for (let i = 0; i < 3; i++) d.publish('d.events.x', enc(`old${i}`));
    await d.flush();
    const oldMs = idMs((await raw.xrevrange(`dur:stream:${byAge}`, '+', '-', 'COUNT', 1))[0]![0]);
    await brokerClockPast(raw, oldMs + 5);
    d.publish('d.events.x', enc('new'));
    await d.flush();
    assert.deepEqual((await raw.xrange(`dur:stream:${byAge}`, '-', '+')).map(([, f]) => f[3]), ['new']);
    assert.deepEqual((await replay(d, byAge, 'all', 1)).map((m) => [m.sequence, dec(m.data)]), [[4, 'new']]);
  });

  void test('durable consumers: position kept by the broker, un-acked entries come again, filters apply', async () => {
    const stream = `S${++n}`;
    const [pub, consumer] = [await driver(), await driver()];
    await pub.ensureStream({ name: stream, subjects: ['e.events.>'] });
    for (let i = 1; i <= 6; i++) pub.publish(i % 2 === 0 ? 'e.events.even' : 'e.events.odd', enc(String(i)));
    await pub.flush();
    const first = new Collector<DurableMessage>();
    const c1 = await consumer.consumeDurable({ stream, durable: 'audit', filter: 'e.events.even' }, first.push);
    const seen = await first.until(3);
    assert.deepEqual(seen.map((m) => dec(m.data)), ['2', '4', '6']);
    seen[0]!.ack();
    seen[2]!.ack(); // '4' is left un-acked
    await c1.unsubscribe();
    for (let i = 7; i <= 8; i++) pub.publish(i % 2 === 0 ? 'e.events.even' : 'e.events.odd', enc(String(i)));
    await pub.flush();
    const second = new Collector<DurableMessage>();
    const c2 = await consumer.consumeDurable({ stream, durable: 'audit', filter: 'e.events.even', from: 'new' }, (m) => {
      second.push(m);
      m.ack();
    });
    // The un-acked one first (redelivered), then what came while away; `from` is for new consumers only.
    assert.deepEqual((await second.until(2)).map((m) => [dec(m.data), m.sequence]), [['4', 4], ['8', 8]]);
    await c2.unsubscribe();
    const pending = (await raw.xpending(`dur:stream:${stream}`, 'audit')) as [number, ...unknown[]];
    assert.equal(pending[0], 0, 'everything acked, filtered-out entries included');
  });

  void test('unsubscribe() settles when the connection dies with an ack in flight, and that entry comes again', async () => {
    const stream = `S${++n}`;
    const pub = await driver();
    await pub.ensureStream({ name: stream, subjects: ['e.events.>'] });
    pub.publish('e.events.x', enc('1'));
    await pub.flush();
    const relay = await startRelay(Number(new URL(broker.url).port));
    try {
      const consumer = await createDriver('redis', { urls: [relay.url(broker.url)], namespace: 'dur' });
      opened.push(consumer);
      await consumer.connect();
      const got = new Collector<DurableMessage>();
      let cut: Promise<void> | undefined;
      const sub = await consumer.consumeDurable({ stream, durable: 'lost-ack' }, (m) => {
        m.ack();
        cut = relay.cut(); // in the ack's tick: Redis never hears it
        got.push(m);
      });
      await got.until(1);
      await cut;
      await within(sub.unsubscribe(), 15_000, 'unsubscribe() never settled after its connection died');
    } finally {
      await relay.close();
    }
    const again = new Collector<DurableMessage>();
    const sub = await (await driver()).consumeDurable({ stream, durable: 'lost-ack' }, again.push);
    assert.deepEqual((await again.until(1)).map((m) => dec(m.data)), ['1']);
    await sub.unsubscribe();
  });

  void test('ensureStream() and consumeDurable() whose connection dies before the answer reject DISCONNECTED', async () => {
    const stream = `S${++n}`;
    await (await driver()).ensureStream({ name: stream, subjects: ['e.events.>'] });
    for (const attempt of ['ensure', 'consume'] as const) {
      const relay = await startRelay(Number(new URL(broker.url).port));
      try {
        const d = await createDriver('redis', { urls: [relay.url(broker.url)], namespace: 'dur' });
        opened.push(d);
        await d.connect();
        const call: Promise<unknown> = attempt === 'ensure' ? d.ensureStream({ name: stream, subjects: ['e.events.>'] }) : d.consumeDurable({ stream, durable: 'cut' }, () => undefined);
        await relay.cut(); // in the command's tick: its answer never comes back
        await assert.rejects(within(call, 15_000, `${attempt} never settled after its connection died`), { code: TransportErrorCode.DISCONNECTED });
      } finally {
        await relay.close();
      }
    }
  });

  void test('several publishers (agents) share one stream and one sequence; ensure is idempotent', async () => {
    const stream = `S${++n}`;
    const [a, b] = [await driver(), await driver()];
    await a.ensureStream({ name: stream, subjects: ['f.events.>'], maxAgeMs: 60_000 });
    await b.ensureStream({ name: stream, subjects: ['f.events.>'], maxAgeMs: 60_000 });
    for (let i = 0; i < 50; i++) {
      a.publish('f.events.a', enc(`a${i}`));
      b.publish('f.events.b', enc(`b${i}`));
    }
    await Promise.all([a.flush(), b.flush()]);
    const all = await replay(a, stream, 'all', 100);
    assert.deepEqual(all.map((m) => m.sequence), Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(new Set(all.map((m) => dec(m.data))).size, 100);
    // An agent restart ensures again: the sequence goes on. A lost counter key is recovered from the stream.
    await a.close();
    const a2 = await driver();
    await a2.ensureStream({ name: stream, subjects: ['f.events.>'], maxAgeMs: 60_000 });
    await raw.del(`dur:stream:${stream}:seq`);
    a2.publish('f.events.a', enc('after restart'));
    await a2.flush();
    assert.deepEqual((await replay(a2, stream, { sequence: 101 }, 1)).map((m) => [m.sequence, dec(m.data)]), [[101, 'after restart']]);
    const record = JSON.parse((await raw.hget('dur:streams', stream))!) as { key: string; subjects: string[] };
    assert.deepEqual([record.key, record.subjects], [`dur:stream:${stream}`, ['f.events.>']]);
  });

  void test('what Redis cannot do, and unknown streams, are typed errors', async () => {
    const d = await driver();
    await assert.rejects(d.ensureStream({ name: 'BYTES', subjects: ['g.>'], maxBytes: 1024 }), { code: TransportErrorCode.UNSUPPORTED });
    await assert.rejects(d.ensureStream({ name: 'bad name', subjects: ['g.>'] }), { code: TransportErrorCode.BROKER });
    await assert.rejects(d.consumeDurable({ stream: 'NOPE' }, () => undefined), { code: TransportErrorCode.BROKER });
  });

  void test('a non-fsbus client reads the stream with XRANGE: subject, data, headers fields', async () => {
    const stream = `S${++n}`;
    const d = await driver();
    await d.ensureStream({ name: stream, subjects: ['h.events.>'] });
    d.publish('h.events.x', enc('{"event_name":"CUSTOM"}'), { headers: { k: 'v' } });
    await d.flush();
    const [[id, fields]] = (await raw.xrange(`dur:stream:${stream}`, '-', '+')) as [[string, string[]]];
    assert.match(id, /^\d{13}-1$/);
    assert.deepEqual(fields, ['subject', 'h.events.x', 'data', '{"event_name":"CUSTOM"}', 'headers', '{"k":"v"}']);
    const [got] = await replay(d, stream, 'all', 1);
    assert.deepEqual(got!.headers, { k: 'v' });
  });
});

void describe('redis durable streams across a broker restart (AOF on)', () => {
  void test('replay and a durable consumer go on after the restart: nothing lost, nothing repeated that was acked', async () => {
    const broker = await startRedis({ appendOnly: true });
    const raw = new Redis(broker.url);
    const [pub, consumer] = [
      await createDriver('redis', { urls: [broker.url], namespace: 'dur' }),
      await createDriver('redis', { urls: [broker.url], namespace: 'dur' }),
    ];
    try {
      await pub.connect();
      await consumer.connect();
      await pub.ensureStream({ name: 'R', subjects: ['r.events.>'] });
      for (let i = 1; i <= 3; i++) pub.publish('r.events.x', enc(String(i)));
      await pub.flush();
      const before = new Collector<DurableMessage>();
      const c1 = await consumer.consumeDurable({ stream: 'R', durable: 'billing' }, before.push);
      const seen = await before.until(3);
      seen[0]!.ack();
      seen[1]!.ack(); // '3' is left un-acked
      await c1.unsubscribe();
      // The acks are on the broker before it goes down.
      for (let i = 0; i < 1000 && ((await raw.xpending('dur:stream:R', 'billing')) as [number])[0] !== 1; i++);
      assert.equal(((await raw.xpending('dur:stream:R', 'billing')) as [number])[0], 1);

      await broker.restart();
      await waitStatus(pub, 'connected');
      await waitStatus(consumer, 'connected');
      for (let i = 4; i <= 5; i++) pub.publish('r.events.x', enc(String(i)));
      await pub.flush();

      // The sequence goes on from the persisted counter: gapless, no ID reused.
      const all = new Collector<DurableMessage>();
      const replaySub = await pub.consumeDurable({ stream: 'R', from: 'all' }, all.push);
      assert.deepEqual((await all.until(5)).map((m) => [m.sequence, dec(m.data)]), [[1, '1'], [2, '2'], [3, '3'], [4, '4'], [5, '5']]);
      await replaySub.unsubscribe();
      // The group's position survived: the un-acked entry first, then what came after; 1 and 2 never again.
      const after = new Collector<DurableMessage>();
      const c2 = await consumer.consumeDurable({ stream: 'R', durable: 'billing' }, (m) => {
        after.push(m);
        m.ack();
      });
      assert.deepEqual((await after.until(3)).map((m) => dec(m.data)), ['3', '4', '5']);
      await c2.unsubscribe();
    } finally {
      await consumer.close();
      await pub.close();
      await raw.quit();
      await broker.stop();
    }
  });
});
