// A NATS durable consumer whose unread messages the stream's retention removed (max_messages
// here) is told, never left to skip them silently: when it attaches again after being away, and
// when its connection comes back after an outage (a relay in front of the server cuts it while
// another connection publishes). `onRetentionLoss` gets the stream positions; the driver logs a
// warning.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Driver, DurableMessage } from '@fsbus/transport';
import { Collector } from './conformance/helpers.js';
import { jetStreamServer, jsApi, natsDriver, untilStored } from './support/jetstream.js';

type Loss = { from: number; to: number; count: number };

async function publish(driver: Driver, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) driver.publish('ret.x', new TextEncoder().encode(String(i)));
  await driver.flush();
}

/**
 * Resolves once the server no longer sees the consumer's subscription: its connection is gone
 * there too. Published before that, a message may be delivered into the dying connection — then
 * pending, its removal by retention moves the ack floor and is not told (docs/drivers/nats.md).
 */
async function untilUnbound(driver: Driver): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const reply = await driver.request('$JS.API.CONSUMER.INFO.RET.billing', new Uint8Array(0), { timeoutMs: 5000 });
    const info = JSON.parse(new TextDecoder().decode(reply.data)) as { push_bound?: boolean };
    if (info.push_bound !== true) return;
  }
  assert.fail('the server still sees the consumer bound');
}

/** Resolves once `check` holds after a driver round trip (bounded: the bound fails the test). */
async function until(driver: Driver, check: () => boolean, what: string): Promise<void> {
  // Bounded by time, not by a count of round trips: a loaded machine delivers later, not never.
  for (const end = Date.now() + 15_000; !check() && Date.now() < end; ) await driver.flush();
  assert.ok(check(), what);
}

void test('nats durable: attaching after retention removed unread messages reports them before delivering the rest', async (t) => {
  const server = await jetStreamServer(t);
  const { driver, log } = await natsDriver(t, server.url);
  await driver.ensureStream({ name: 'RET', subjects: ['ret.>'], storage: 'memory', maxMessages: 5 });
  const losses: Loss[] = [];
  const options = { stream: 'RET', durable: 'billing', filter: 'ret.x', onRetentionLoss: (l: Loss) => void losses.push(l) };
  await publish(driver, 1, 2);
  const first: number[] = [];
  const one = await driver.consumeDurable(options, (m) => {
    first.push(m.sequence);
    m.ack();
  });
  await until(driver, () => first.length === 2, 'the first two are read');
  await one.unsubscribe();
  assert.deepEqual(losses, [], 'a new consumer, or one that read everything, lost nothing');

  // Away: ten more, the stream keeps the last five (8..12); 3..7 are gone unread.
  await publish(driver, 3, 12);
  const second: Array<{ sequence: number; lossesSoFar: number }> = [];
  const two = await driver.consumeDurable(options, (m: DurableMessage) => {
    second.push({ sequence: m.sequence, lossesSoFar: losses.length });
    m.ack();
  });
  t.after(() => two.unsubscribe());
  await until(driver, () => second.length === 5, 'the five kept are read');
  assert.deepEqual(losses, [{ from: 3, to: 7, count: 5 }]);
  assert.deepEqual(second, [8, 9, 10, 11, 12].map((sequence) => ({ sequence, lossesSoFar: 1 })), 'told before the rest is delivered');
  assert.ok(log.warnings.some((w) => /retention removed messages/.test(w)), log.warnings.join(' | '));
});

/** A TCP relay that can be cut (open connections closed, new ones refused) and mended. */
async function cuttableRelay(port: number): Promise<{ url: string; cut(): void; mend(): void; close(): Promise<void> }> {
  const open = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(port, '127.0.0.1');
    open.add(client).add(upstream);
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
        open.delete(s);
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `nats://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut() {
      down = true;
      for (const s of open) s.destroy();
    },
    mend() {
      down = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// A consumer reading the whole stream (`ret.>`) also checks its first deliveries for jumps: the
// outage's loss is told once all the same (what the server sent into the dying connection comes
// again later: no jump is counted right after an outage).
for (const filter of ['ret.x', 'ret.>']) {
void test(`nats durable (filter ${filter}): retention that removes unread messages during a connection outage is reported once it is back`, async (t) => {
  const server = await jetStreamServer(t);
  const relay = await cuttableRelay(server.port);
  t.after(() => relay.close());
  const { driver: publisher } = await natsDriver(t, server.url, 'publisher');
  await publisher.ensureStream({ name: 'RET', subjects: ['ret.>'], storage: 'memory', maxMessages: 5 });
  const { driver, log } = await natsDriver(t, relay.url, 'consumer');
  const losses: Loss[] = [];
  let lossTold: () => void = () => undefined;
  const told = new Promise<void>((resolve) => (lossTold = resolve));
  const read: number[] = [];
  const sub = await driver.consumeDurable(
    {
      stream: 'RET',
      durable: 'billing',
      filter,
      onRetentionLoss: (l) => {
        losses.push(l);
        lossTold();
      },
    },
    (m) => {
      read.push(m.sequence);
      m.ack();
    },
  );
  t.after(() => sub.unsubscribe());
  await publish(publisher, 1, 2);
  await until(driver, () => read.length === 2, 'the first two are read');

  const status = (want: string): Promise<void> =>
    new Promise((resolve) => {
      const off = driver.on((e) => {
        if (e.type === 'status' && e.status === want) {
          off();
          resolve();
        }
      });
    });
  const away = status('reconnecting');
  relay.cut();
  await away;
  await untilUnbound(publisher);
  // Meanwhile: ten more, the stream keeps 8..12.
  await publish(publisher, 3, 12);
  const back = status('connected');
  relay.mend();
  await back;
  // Bounded: a driver that never tells fails here rather than hang.
  let bound: NodeJS.Timeout | undefined;
  await Promise.race([told, new Promise((_, reject) => (bound = setTimeout(() => reject(new Error(`no loss reported; read ${read.join(',')}`)), 15_000)))]);
  clearTimeout(bound);
  await until(driver, () => read.length === 7, 'the five kept are read');
  assert.deepEqual(read, [1, 2, 8, 9, 10, 11, 12]);
  assert.deepEqual(losses, [{ from: 3, to: 7, count: 5 }]);
  assert.ok(log.warnings.some((w) => /retention removed messages/.test(w)), log.warnings.join(' | '));
});
}

void test('nats durable reading the whole stream, held at maxInFlight while retention removes what comes next: told before the next message', async (t) => {
  const server = await jetStreamServer(t);
  const { driver, log } = await natsDriver(t, server.url);
  await driver.ensureStream({ name: 'RH', subjects: ['rh.>'], storage: 'memory' });
  const losses: Loss[] = [];
  const read = new Collector<{ sequence: number; lossesSoFar: number }>();
  let first: DurableMessage | undefined;
  // One out at a time: the server sends nothing more while the first is held.
  const sub = await driver.consumeDurable({ stream: 'RH', durable: 'billing', filter: 'rh.>', maxInFlight: 1, onRetentionLoss: (l) => void losses.push(l) }, (m) => {
    read.push({ sequence: m.sequence, lossesSoFar: losses.length });
    if (first === undefined) first = m;
    else m.ack();
  });
  for (let i = 1; i <= 10; i++) driver.publish(i % 2 === 0 ? 'rh.a' : 'rh.b', new TextEncoder().encode(String(i)));
  await untilStored(driver, 'RH', 10);
  await read.until(1);
  assert.equal((await jsApi(driver, '$JS.API.STREAM.PURGE.RH', { seq: 8 }))['purged'], 7);
  first!.ack();
  assert.deepEqual(await read.until(4), [
    { sequence: 1, lossesSoFar: 0 },
    ...[8, 9, 10].map((sequence) => ({ sequence, lossesSoFar: 1 })),
  ], 'told before 8 is handed over');
  assert.deepEqual(losses, [{ from: 2, to: 7, count: 6 }]);
  assert.equal(log.warnings.filter((w) => /retention removed messages/.test(w)).length, 1, log.warnings.join(' | '));
  await sub.unsubscribe();
});
