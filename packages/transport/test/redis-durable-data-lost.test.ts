// A Redis restarted without persistence comes back empty: the stream, its counter, the consumer
// groups, the filters and the streams registry are gone. The agents reconnect and append to a new
// stream at once. A durable consumer that kept running must get everything the new stream holds
// (all of it was appended after the loss), whatever its `from` — not only what was appended after
// its reader re-made its group — and be told that what the lost stream held unread is gone
// (how much is unknown). The driver that ensured the stream registers it again, so a consumer can
// start before any agent restarts. Real redis-server; the consumers' driver reaches it through a
// relay that holds their reconnects until the publisher has appended after the restart (the order
// the race produced).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type DurableMessage } from '@fsbus/transport';
import type { StreamDataLoss } from '../src/driver.js';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { gatedRelay } from './support/gated-relay.js';

void test('redis durable: a Redis restarted empty — running consumers get the whole new stream and are told of the loss; the stream is registered again', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const relay = await gatedRelay(broker.port);
  const raw = new Redis(broker.url);
  const warnings: string[] = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (_f, msg) => void warnings.push(msg ?? ''), error: () => undefined };
  const pub = await createDriver('redis', { urls: [broker.url], namespace: 'lost' });
  const consumer = await createDriver('redis', { urls: [relay.url], namespace: 'lost', logger });
  try {
    await pub.connect();
    await consumer.connect();
    await pub.ensureStream({ name: 'L', subjects: ['l.events.>'] });
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i <= to; i++) pub.publish('l.events.cdr', enc(String(i)));
      await pub.flush();
    };
    await publish(1, 2);

    const kinds = { new: 'new', all: 'all', seq: { sequence: 2 } } as const;
    const got: Record<string, Collector<string>> = {};
    const losses: Record<string, StreamDataLoss[]> = {};
    const gaps: Record<string, unknown[]> = {};
    const subs = [];
    for (const [name, from] of Object.entries(kinds)) {
      const c = (got[name] = new Collector<string>());
      losses[name] = [];
      gaps[name] = [];
      subs.push(
        await consumer.consumeDurable(
          { stream: 'L', durable: name, from, onStreamLost: (l) => void losses[name]!.push(l), onRetentionLoss: (l) => void gaps[name]!.push(l) },
          (m: DurableMessage) => {
            c.push(dec(m.data));
            m.ack();
          },
        ),
      );
    }
    await publish(3, 5);
    for (const name of Object.keys(kinds)) await got[name]!.until(name === 'all' ? 5 : name === 'seq' ? 4 : 3);

    // Redis restarts empty; the consumers' reconnects are held until the publisher appended again.
    relay.hold();
    await broker.halt();
    await waitStatus(pub, 'reconnecting');
    await waitStatus(consumer, 'reconnecting');
    await broker.start();
    await waitStatus(pub, 'connected');
    await publish(6, 9);
    relay.release();
    await waitStatus(consumer, 'connected');
    await publish(10, 10);
    const after = { new: ['3', '4', '5'], all: ['1', '2', '3', '4', '5'], seq: ['2', '3', '4', '5'] } as const;
    for (const name of Object.keys(kinds) as Array<keyof typeof after>) {
      const items = await got[name]!.until(after[name].length + 5).catch((err: Error) => {
        throw new Error(`consumer from '${name}': ${err.message}: ${JSON.stringify(got[name]!.items)}`);
      });
      assert.deepEqual(items, [...after[name], '6', '7', '8', '9', '10'], `consumer from '${name}'`);
      assert.equal(losses[name]!.length, 1, `consumer from '${name}' is told once of the lost stream`);
      assert.ok(losses[name]![0]!.lostAt <= losses[name]![0]!.restoredAt);
      assert.deepEqual(gaps[name], [], `no retention loss invented for '${name}'`);
    }
    assert.equal(warnings.filter((w) => /lost the stream/.test(w)).length, 3, `a warning per consumer: ${JSON.stringify(warnings)}`);
    for (const s of subs) await s.unsubscribe();
  } finally {
    await consumer.close();
    await pub.close();
    raw.disconnect();
    await relay.close();
    await broker.stop();
  }
});

void test('redis: the driver that ensured a stream registers it again after a Redis restarted empty — a consumer can start before any agent restarts', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const pub = await createDriver('redis', { urls: [broker.url], namespace: 'reg' });
  const consumer = await createDriver('redis', { urls: [broker.url], namespace: 'reg' });
  try {
    await pub.connect();
    await pub.ensureStream({ name: 'G', subjects: ['g.events.>'], maxMessages: 50 });
    const record = await raw.hgetall('reg:streams');
    await broker.halt();
    await waitStatus(pub, 'reconnecting');
    await broker.start();
    await waitStatus(pub, 'connected');
    assert.deepEqual(await raw.hgetall('reg:streams'), record, 'the publisher registered its stream again');
    for (let i = 1; i <= 3; i++) pub.publish('g.events.cdr', enc(String(i)));
    await pub.flush();
    await consumer.connect();
    const got = new Collector<string>();
    // Before: "stream G not found" until an agent restarted.
    const sub = await consumer.consumeDurable({ stream: 'G', durable: 'late', from: 'all' }, (m) => got.push(dec(m.data)));
    assert.deepEqual(await got.until(3), ['1', '2', '3']);
    await sub.unsubscribe();
  } finally {
    await consumer.close();
    await pub.close();
    raw.disconnect();
    await broker.stop();
  }
});

void test('redis: a stream append Redis refuses (out of memory) is a drop after send — counted once, its publisher told — though published live', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const pub = await createDriver('redis', { urls: [broker.url], namespace: 'oom' });
  const listener = await createDriver('redis', { urls: [broker.url], namespace: 'oom' });
  const errors: string[] = [];
  pub.on((e) => {
    if (e.type === 'error') errors.push(e.error.message);
  });
  try {
    await pub.connect();
    await listener.connect();
    await pub.ensureStream({ name: 'O', subjects: ['o.events.>'] });
    const live = new Collector<string>();
    listener.subscribe('o.events.>', (m) => live.push(dec(m.data)));
    await listener.flush();
    const dropped: string[] = [];
    const onDroppedAfterSend = (subject: string): void => void dropped.push(subject);
    pub.publish('o.events.cdr', enc('kept'), { onDroppedAfterSend });
    await pub.flush();
    await raw.config('SET', 'maxmemory-policy', 'noeviction');
    await raw.config('SET', 'maxmemory', '1');
    const before = pub.stats().dropped;
    pub.publish('o.events.cdr', enc('live only'), { onDroppedAfterSend });
    await pub.flush();
    assert.deepEqual(await live.until(2), ['kept', 'live only'], 'published live');
    await raw.config('SET', 'maxmemory', '0');
    assert.deepEqual(dropped, ['o.events.cdr'], 'the publisher is told the event was not stored');
    assert.equal(pub.stats().dropped - before, 1, 'counted once');
    assert.equal(await raw.xlen('oom:stream:O'), 1);
    assert.deepEqual(errors, [], 'not also a broker error');
  } finally {
    await raw.config('SET', 'maxmemory', '0').catch(() => undefined);
    await listener.close();
    await pub.close();
    raw.disconnect();
    await broker.stop();
  }
});

void test('redis durable: a Redis restarted from a snapshot older than the consumer — its group made again after the last entry it saw, the snapshot\'s entries not handed out again', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const warnings: string[] = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (_f, msg) => void warnings.push(msg ?? ''), error: () => undefined };
  const pub = await createDriver('redis', { urls: [broker.url], namespace: 'snap' });
  const consumer = await createDriver('redis', { urls: [broker.url], namespace: 'snap', logger });
  try {
    await pub.connect();
    await consumer.connect();
    await pub.ensureStream({ name: 'S', subjects: ['s.events.>'] });
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i <= to; i++) pub.publish('s.events.cdr', enc(String(i)));
      await pub.flush();
    };
    await publish(1, 3);
    // The snapshot holds 1–3 and the registry, no consumer group: the next start loads it.
    await raw.save();
    const got = new Collector<string>();
    const losses: StreamDataLoss[] = [];
    const gaps: unknown[] = [];
    const sub = await consumer.consumeDurable({ stream: 'S', durable: 'cdr', from: 'all', onStreamLost: (l) => void losses.push(l), onRetentionLoss: (l) => void gaps.push(l) }, (m: DurableMessage) => {
      got.push(dec(m.data));
      m.ack();
    });
    await publish(4, 5);
    await got.until(5);
    await broker.halt();
    await waitStatus(pub, 'reconnecting');
    await broker.start();
    await waitStatus(pub, 'connected');
    await waitStatus(consumer, 'connected');
    await publish(6, 7);
    // Before: the group made again at '0-0' handed out 1–3 again (a whole retention, in production).
    const items = await got.until(7).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(got.items)}`);
    });
    assert.deepEqual(items, ['1', '2', '3', '4', '5', '6', '7']);
    // 4–5 are gone with the data Redis lost after its snapshot: told, without a count.
    assert.equal(losses.length, 1, 'told once of the lost stream');
    assert.deepEqual(gaps, [], 'no retention loss invented');
    await sub.unsubscribe();
  } finally {
    await consumer.close();
    await pub.close();
    raw.disconnect();
    await broker.stop();
  }
});

void test('redis durable: two processes sharing a durable name after a Redis restarted empty — the one that finds the group made again by the other forgets its old start sequence too', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const relay = await gatedRelay(broker.port);
  const pub = await createDriver('redis', { urls: [broker.url], namespace: 'race' });
  const first = await createDriver('redis', { urls: [broker.url], namespace: 'race' });
  const second = await createDriver('redis', { urls: [relay.url], namespace: 'race' });
  try {
    await pub.connect();
    await first.connect();
    await second.connect();
    await pub.ensureStream({ name: 'D', subjects: ['d.events.>'] });
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i <= to; i++) pub.publish('d.events.cdr', enc(String(i)));
      await pub.flush();
    };
    await publish(1, 5);
    const got = { first: new Collector<string>(), second: new Collector<string>() };
    const lost = new Collector<StreamDataLoss>();
    // After the restart the first one holds what it gets (one at most): the rest goes to the second.
    let hold = false;
    const options = { stream: 'D', durable: 'shared', from: { sequence: 3 }, maxInFlight: 1 } as const;
    const subs = [
      await first.consumeDurable({ ...options, onStreamLost: (l) => lost.push(l) }, (m: DurableMessage) => {
        got.first.push(dec(m.data));
        if (!hold) m.ack();
      }),
      await second.consumeDurable(options, (m: DurableMessage) => {
        got.second.push(dec(m.data));
        m.ack();
      }),
    ];
    await publish(6, 6);
    relay.hold();
    await broker.halt();
    await waitStatus(second, 'reconnecting');
    hold = true;
    const had = { first: got.first.items.length, second: got.second.items.length };
    await broker.start();
    await waitStatus(pub, 'connected');
    // The first one makes the group again (the stream was lost), and takes (holds) one new entry.
    await lost.until(1);
    await publish(7, 10);
    await got.first.until(had.first + 1);
    relay.release();
    // The second one gets the rest of the new stream (sequences 2–4), and the entry the first one
    // holds: one consumer name per durable, its pending entries come to either process. Before,
    // it skipped those below 3 (its old start): '7' and '8'.
    await got.second.until(had.second + 4).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(got)}`);
    });
    assert.deepEqual(got.second.items.slice(had.second), ['7', '8', '9', '10'], JSON.stringify(got));
    for (const s of subs) await s.unsubscribe();
  } finally {
    await second.close();
    await first.close();
    await pub.close();
    await relay.close();
    await broker.stop();
  }
});

void test('redis durable: a consumer group Redis refuses to make again (out of memory) is retried after a pause, the reason on a debug line', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const debug: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const retried = new Collector<string>();
  const logger: DriverLogger = {
    debug: (fields, msg) => {
      debug.push({ fields: fields as Record<string, unknown>, msg: msg ?? '' });
      if (/group again failed/.test(msg ?? '')) retried.push(msg ?? '');
    },
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const pub = await createDriver('redis', { urls: [broker.url], namespace: 'nog' });
  const consumer = await createDriver('redis', { urls: [broker.url], namespace: 'nog', logger });
  try {
    await pub.connect();
    await consumer.connect();
    await pub.ensureStream({ name: 'N', subjects: ['n.events.>'] });
    const got = new Collector<string>();
    const sub = await consumer.consumeDurable({ stream: 'N', durable: 'nog', from: 'all' }, (m: DurableMessage) => {
      got.push(dec(m.data));
      m.ack();
    });
    pub.publish('n.events.cdr', enc('1'));
    await pub.flush();
    await got.until(1);
    await raw.config('SET', 'maxmemory-policy', 'noeviction');
    await raw.config('SET', 'maxmemory', '1');
    // Deleted by hand (a delete is allowed at maxmemory): the blocked read ends NOGROUP, the group cannot be made again.
    await raw.xgroup('DESTROY', 'nog:stream:N', 'nog');
    await retried.until(2);
    const line = debug.find((d) => /group again failed/.test(d.msg));
    assert.match(String(line?.fields['reason'] ?? line?.fields['err']), /OOM/, JSON.stringify(line));
    await raw.config('SET', 'maxmemory', '0');
    pub.publish('n.events.cdr', enc('2'));
    await pub.flush();
    // Deleted by hand (its filter record kept): made again at the consumer's start, '1' comes again.
    assert.deepEqual(await got.until(3), ['1', '1', '2'], 'made again once Redis takes it');
    await sub.unsubscribe();
  } finally {
    await raw.config('SET', 'maxmemory', '0').catch(() => undefined);
    await consumer.close();
    await pub.close();
    raw.disconnect();
    await broker.stop();
  }
});
