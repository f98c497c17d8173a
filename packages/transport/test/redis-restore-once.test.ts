// The Redis driver's restore after a reconnect runs one at a time: each connection's 'ready' asks
// for one, and two at once wrote the lost stream record twice, each with its "registered again"
// warning. And the throttled publish/append failure lines are flushed at close(): their suppressed
// count was lost at shutdown. Real redis-server.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { createDriver, type DriverLogger } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';

interface Line {
  fields: Record<string, unknown>;
  msg: string;
}

function logged(): { logger: DriverLogger; warnings: Line[] } {
  const warnings: Line[] = [];
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (fields, msg) => void warnings.push({ fields: fields as Record<string, unknown>, msg: msg ?? '' }), error: () => undefined };
  return { logger, warnings };
}

void test("redis: two 'ready' events at once run one restore — a stream record lost with Redis's data is written again once, one warning", { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const { logger, warnings } = logged();
  const pub = await createDriver('redis', { urls: [broker.url], namespace: 'once', logger });
  // Every connection's 'ready' comes twice, the second while the first one's restore runs (the
  // two connections becoming ready together do the same).
  const proto = Redis.prototype as { emit: (this: Redis, event: string | symbol, ...args: unknown[]) => boolean };
  const emit = proto.emit;
  proto.emit = function (this: Redis, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'ready') emit.call(this, event, ...args);
    return emit.call(this, event, ...args);
  };
  try {
    await pub.connect();
    await pub.ensureStream({ name: 'R', subjects: ['r.events.>'] });
    await broker.halt();
    await waitStatus(pub, 'reconnecting');
    await broker.start();
    await waitStatus(pub, 'connected');
    assert.equal(await raw.hexists('once:streams', 'R'), 1, 'registered again');
    // A publish after 'connected' comes after every restore write.
    pub.publish('r.events.cdr', enc('x'));
    await pub.flush();
    const again = warnings.filter((w) => /registered again/.test(w.msg));
    assert.equal(again.length, 1, `one "registered again" warning: ${JSON.stringify(again.map((w) => w.msg))}`);
  } finally {
    proto.emit = emit;
    await pub.close();
    raw.disconnect();
    await broker.stop();
  }
});

void test('redis: the throttled "publish failed" and "stream append failed" lines are flushed at close() — their suppressed count is said', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const raw = new Redis(broker.url);
  const { logger, warnings } = logged();
  const pub = await createDriver('redis', { urls: [broker.url], namespace: 'flush', logger });
  const server = await createDriver('redis', { urls: [broker.url], namespace: 'flush' });
  try {
    await pub.connect();
    await server.connect();
    await pub.ensureStream({ name: 'F', subjects: ['f.events.>'] });
    server.serve({ subject: 'f.lane', competing: true }, () => undefined);
    await server.flush();
    await raw.config('SET', 'maxmemory-policy', 'noeviction');
    await raw.config('SET', 'maxmemory', '1');
    // Three appends refused (published live), three lane writes refused (the route script fails).
    for (let i = 0; i < 3; i++) pub.publish('f.events.cdr', enc(`e${i}`));
    for (let i = 0; i < 3; i++) pub.publish('f.lane', enc(`w${i}`));
    await pub.flush().catch(() => undefined);
    await raw.config('SET', 'maxmemory', '0');
    await pub.close();
    const count = (re: RegExp): number => warnings.filter((w) => re.test(w.msg)).reduce((n, w) => n + (typeof w.fields['suppressed'] === 'number' ? w.fields['suppressed'] : 1), 0);
    assert.equal(count(/^stream append failed/), 3, `every refused append said: ${JSON.stringify(warnings)}`);
    assert.equal(count(/^publish failed/), 3, `every refused publish said: ${JSON.stringify(warnings)}`);
  } finally {
    await raw.config('SET', 'maxmemory', '0').catch(() => undefined);
    await server.close();
    await pub.close();
    raw.disconnect();
    await broker.stop();
  }
});

void test('redis: a subscriber connection that drops and comes back while the restore runs is subscribed again before the driver is online', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const drv = await createDriver('redis', { urls: [broker.url], namespace: 'stale' });
  const pub = await createDriver('redis', { urls: [broker.url], namespace: 'stale' });
  type Patched = { psubscribe: (this: Redis, ...a: unknown[]) => Promise<unknown>; hexists: (this: Redis, ...a: unknown[]) => Promise<unknown> };
  const proto = Redis.prototype as unknown as Patched;
  const { psubscribe, hexists } = proto;
  try {
    await drv.connect();
    await pub.connect();
    await drv.ensureStream({ name: 'S', subjects: ['stale.events.>'] });
    const got = new Collector<string>();
    drv.subscribe('stale.x.>', (m) => got.push(dec(m.data)));
    await drv.flush();
    await broker.halt();
    await waitStatus(drv, 'reconnecting');
    // The restore's psubscribe answered, then its connection drops (no auto-resubscribe) and the
    // restore's next step waits until that connection is back: the driver must not go online on
    // the subscriptions the dropped connection took with it.
    let back: Promise<void> | undefined;
    proto.psubscribe = async function (this: Redis, ...a: unknown[]) {
      const answered = await psubscribe.apply(this, a);
      if (back === undefined) {
        back = new Promise<void>((resolve) => this.once('ready', () => resolve()));
        this.disconnect(true);
      }
      return answered;
    };
    proto.hexists = async function (this: Redis, ...a: unknown[]) {
      if (back !== undefined) await back;
      return hexists.apply(this, a);
    };
    await broker.start();
    await waitStatus(drv, 'connected');
    assert.ok(back !== undefined, 'the restore ran its psubscribe');
    await waitStatus(pub, 'connected');
    pub.publish('stale.x.y', enc('after'));
    await pub.flush();
    assert.deepEqual(await got.until(1, 10_000), ['after']);
  } finally {
    proto.psubscribe = psubscribe;
    proto.hexists = hexists;
    await drv.close();
    await pub.close();
    await broker.stop();
  }
});
