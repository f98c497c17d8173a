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
import { connect as netConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DriverLogger, type DurableMessage } from '@fsbus/transport';
import type { StreamDataLoss } from '../src/driver.js';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';

interface GatedRelay {
  readonly url: string;
  /** New connections are accepted and held (not piped) until release(). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

async function gatedRelay(port: number): Promise<GatedRelay> {
  const open = new Set<Socket>();
  let held: Socket[] | undefined;
  const pipe = (client: Socket): void => {
    const upstream = netConnect(port, '127.0.0.1');
    upstream.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const server = createServer((client) => {
    client.on('error', () => undefined);
    open.add(client);
    client.on('close', () => open.delete(client));
    if (held === undefined) pipe(client);
    else held.push(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: () => void (held ??= []),
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const c of waiting) if (!c.destroyed) pipe(c);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

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
