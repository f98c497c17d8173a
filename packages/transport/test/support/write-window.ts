/**
 * The write-window cases, for drivers that bound how far they write ahead of what their broker
 * confirmed (NATS: a PING's PONG; AMQP: publisher confirms; Redis: each command's reply). A link
 * that hangs without closing — noticed only by pings or heartbeats, tens of seconds later — or a
 * broker slower than the driver: past the window, publishes wait in the bounded outbox (oldest
 * dropped and counted when full) instead of piling up without bound in a socket nobody reads.
 * Held messages go out in order once the broker confirms what came before them, or on the
 * reconnect. What became of what was written into the link when it broke is the driver's own
 * (`afterBreak`).
 */
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type Driver, type PublishOutcome } from '@fsbus/transport';
import type { BrokerHandle } from '@fsbus/testkit';
import { Collector, dec, enc, waitStatus } from '../conformance/helpers.js';
import { startRelay, type Relay } from '../conformance/relay.js';

const SUBJECT = 'ww.ev';
/** How long the messages may take to arrive once sent (64 MiB through RabbitMQ on a busy machine): a bound, not a measure. */
const ARRIVAL_BOUND_MS = 60_000;

export interface WriteWindowCase {
  driver: string;
  /** One broker for both cases, stopped after them. */
  startBroker(): Promise<BrokerHandle>;
  /** The driver's window with the `bufferBytes` used here, and the message size. */
  window: number;
  size: number;
  /** The hung link: what is published into it, the outbox's bound, and what arrives after it broke. */
  hung: { count: number; bufferBytes: number; afterBreak(w: { sent: number; held: number; count: number }): { items: number[]; dropped: number } };
  /** The stall that ends: how many are published into it (within the window and the outbox). */
  stalled: { count: number; bufferBytes: number };
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

/**
 * The cases of a driver whose client library sends again, on the reconnect and ahead of the
 * driver's outbox, what the broken link left unanswered (ioredis, mqtt.js): all that was written
 * into the link arrives, then all that was held, in publish order. 4 KiB messages: a 1 MiB window
 * is ≈250 of them, so no burst here passes mosquitto's 1,000 queued messages per subscriber
 * (past which it drops for one that falls behind, docs/drivers/mqtt.md).
 */
export function resentOnReconnect(driver: string, startBroker: () => Promise<BrokerHandle>): WriteWindowCase {
  return {
    driver,
    startBroker,
    window: 1024 * 1024,
    size: 4096,
    hung: { count: 1024, bufferBytes: 256 * 1024, afterBreak: ({ sent, held, count }) => ({ items: [...range(0, sent), ...range(count - held, count)], dropped: count - sent - held }) },
    // 1.5 windows: one written into the stalled link, half a window held, nothing over the outbox's bound.
    stalled: { count: 384, bufferBytes: 1024 * 1024 },
  };
}

/** `count` messages of `size` bytes, each starting with its index; the outcome of each. */
function burst(driver: Driver, count: number, size: number): PublishOutcome[] {
  const out: PublishOutcome[] = [];
  for (let i = 0; i < count; i++) out.push(driver.publish(SUBJECT, enc(`${i}:`.padEnd(size, '.'))));
  return out;
}

/** The index a message starts with (the warm-up message: NaN). */
function indexOf(data: Uint8Array): number {
  const m = dec(data.subarray(0, 16));
  return Number(m.slice(0, m.indexOf(':')));
}

/** A publisher through a relay, a subscriber straight to the broker (what reaches it, in order), warmed up. */
async function rig(c: WriteWindowCase, url: string, bufferBytes: number, fn: (pub: Driver, got: Collector<number>, relay: Relay) => Promise<void>): Promise<void> {
  const relay = await startRelay(Number(new URL(url).port));
  const pub = await createDriver(c.driver, { urls: [relay.url(url)], name: 'stalled-pub', bufferBytes, bufferMessages: 100_000 });
  const sub = await createDriver(c.driver, { urls: [url], name: 'sub' });
  try {
    await Promise.all([pub.connect(), sub.connect()]);
    const got = new Collector<number>();
    sub.subscribe(SUBJECT, (m) => got.push(indexOf(m.data)));
    await sub.flush();
    pub.publish(SUBJECT, enc('warm:'));
    await pub.flush();
    await got.until(1);
    await fn(pub, got, relay);
  } finally {
    // The relay first: a close() over a link left stalled would wait for a goodbye that never comes.
    await relay.close();
    await pub.close();
    await sub.close();
  }
}

export function writeWindowCases(c: WriteWindowCase): void {
  let broker: BrokerHandle;
  before(async () => {
    broker = await c.startBroker();
  });
  after(() => broker.stop());

  void test(`${c.driver}: a link that hangs takes at most the write window; what follows waits in the bounded outbox and goes on the reconnect`, { timeout: 90_000 }, async () => {
    const { count, bufferBytes } = c.hung;
    await rig(c, broker.url, bufferBytes, async (pub, got, relay) => {
      relay.stall();
      const outcomes = burst(pub, count, c.size);
      const sent = outcomes.filter((o) => o === 'sent').length;
      const buffered = outcomes.filter((o) => o === 'buffered').length;
      // Written into the hung link: the window's worth, not all of it.
      assert.ok(sent * c.size <= c.window + c.size, `${sent} messages of ${c.size} bytes written into a link that does not read`);
      assert.equal(sent + buffered, count);
      const held = pub.stats().pending;
      assert.ok(held > 0 && held * c.size <= bufferBytes, `${held} held`);
      assert.equal(pub.stats().dropped, buffered - held, 'every message the full outbox let go is counted');

      await relay.cut();
      await waitStatus(pub, 'reconnecting');
      await relay.restore();
      await waitStatus(pub, 'connected', 60_000);
      await pub.flush();
      const expected = c.hung.afterBreak({ sent, held, count });
      assert.deepEqual((await got.until(1 + expected.items.length, ARRIVAL_BOUND_MS)).slice(1), expected.items);
      assert.equal(pub.stats().dropped, expected.dropped);
      assert.equal(pub.stats().pending, 0);
    });
  });

  void test(`${c.driver}: once the broker reads again, the held messages go out in order and none is lost; flush() waits for them`, { timeout: 90_000 }, async () => {
    const { count, bufferBytes } = c.stalled;
    await rig(c, broker.url, bufferBytes, async (pub, got, relay) => {
      relay.stall();
      const outcomes = burst(pub, count, c.size);
      assert.ok(outcomes.includes('buffered'), 'nothing held past the window');
      const flushed = pub.flush();
      relay.resume();
      await flushed;
      assert.equal(pub.stats().pending, 0, 'flush() resolved with messages still held');
      assert.deepEqual((await got.until(1 + count, ARRIVAL_BOUND_MS)).slice(1), range(0, count));
      assert.equal(pub.stats().dropped, 0);
      assert.equal(pub.stats().published, 1 + count);
    });
  });
}
