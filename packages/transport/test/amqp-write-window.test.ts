// A link to RabbitMQ that hangs without closing (amqplib notices only by its heartbeat, ≈20 s)
// or a broker that reads slower than the driver writes: past the write window (what the broker
// has not confirmed, bufferBytes but at least 64 MiB) publishes wait in the bounded outbox —
// oldest dropped and counted when it is full — instead of piling up without bound in a socket
// nobody reads. When the link breaks, its unconfirmed events go back in front of those held, so
// the reconnect sends them in the order they were published.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type Driver, type PublishOutcome } from '@fsbus/transport';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay, type Relay } from './conformance/relay.js';

const WINDOW = 64 * 1024 * 1024;
const SIZE = 16 * 1024;
/** Messages the outbox (bufferBytes = WINDOW) holds at most. */
const HELD = WINDOW / SIZE;
const SUBJECT = 'ww.ev';

let broker: RabbitMqHandle;
before(async () => {
  broker = await startRabbitMq();
});
after(() => broker.stop());

/** `count` messages of SIZE bytes, each starting with its index; the outcome of each. */
function burst(driver: Driver, count: number): PublishOutcome[] {
  const out: PublishOutcome[] = [];
  for (let i = 0; i < count; i++) out.push(driver.publish(SUBJECT, enc(`${i}:`.padEnd(SIZE, '.'))));
  return out;
}

/** The index a message starts with (the warm-up message: NaN). */
const indexOf = (data: Uint8Array): number => {
  const m = dec(data.subarray(0, 16));
  return Number(m.slice(0, m.indexOf(':')));
};

/** A publisher through a relay (window and outbox of 64 MiB), a subscriber straight to the broker, warmed up. */
async function rig(fn: (pub: Driver, got: Collector<number>, relay: Relay) => Promise<void>): Promise<void> {
  const relay = await startRelay(Number(new URL(broker.url).port));
  const pub = await createDriver('amqp', { urls: [relay.url(broker.url)], name: 'stalled-pub', bufferBytes: WINDOW, bufferMessages: 100_000 });
  const sub = await createDriver('amqp', { urls: [broker.url], name: 'sub' });
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
    // The relay first: a close() over a link left stalled would wait for confirms that never come.
    await relay.close();
    await pub.close();
    await sub.close();
  }
}

void test('amqp: a link that hangs takes at most the write window; when it breaks, the newest window of events arrives in order on the reconnect, the oldest dropped and counted', { timeout: 90_000 }, async () => {
  await rig(async (pub, got, relay) => {
    relay.stall();
    const outcomes = burst(pub, HELD + 1024);
    const sent = outcomes.filter((o) => o === 'sent').length;
    // Written into the hung link: the window's worth, not 80 MiB.
    assert.ok(sent * SIZE <= WINDOW + SIZE, `${sent} messages of ${SIZE} bytes written into a link that does not read`);
    assert.equal(sent + outcomes.filter((o) => o === 'buffered').length, HELD + 1024);
    assert.ok(pub.stats().pending > 0, 'nothing held past the window');

    await relay.cut();
    await waitStatus(pub, 'reconnecting');
    await relay.restore();
    await waitStatus(pub, 'connected', 60_000);
    await pub.flush();
    // The unconfirmed ones went back in front of those held; the outbox keeps the newest it can hold.
    const items = (await got.until(1 + HELD)).slice(1);
    assert.deepEqual(items, Array.from({ length: HELD }, (_, k) => 1024 + k));
    assert.equal(pub.stats().dropped, 1024);
    assert.equal(pub.stats().pending, 0);
  });
});

void test('amqp: once the broker reads again, the held messages go out in order and none is lost; flush() waits for them', { timeout: 90_000 }, async () => {
  await rig(async (pub, got, relay) => {
    relay.stall();
    const count = HELD + 1024;
    const outcomes = burst(pub, count);
    assert.ok(outcomes.includes('buffered'), 'nothing held past the window');
    const flushed = pub.flush();
    relay.resume();
    await flushed;
    assert.equal(pub.stats().pending, 0, 'flush() resolved with messages still held');
    const items = (await got.until(1 + count)).slice(1);
    assert.deepEqual(items, Array.from({ length: count }, (_, k) => k));
    assert.equal(pub.stats().dropped, 0);
    assert.equal(pub.stats().published, 1 + count);
  });
});
