// A link to nats-server that hangs without closing (nats.js notices only by its pings, 20–30 s)
// or a server that reads slower than the driver writes: past the write window (what the server
// has not confirmed reading, bufferBytes but at least 1 MiB) publishes wait in the bounded
// outbox — oldest dropped and counted when it is full — instead of piling up without bound in a
// socket nobody reads, to be lost with it. Held messages go out in order once the server confirms
// what came before them, or on the reconnect.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type Driver, type PublishOutcome } from '@fsbus/transport';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay, type Relay } from './conformance/relay.js';

const WINDOW = 1024 * 1024;
const SIZE = 1024;
const SUBJECT = 'ww.ev';

let nats: NatsServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(() => nats.stop());

/** `count` messages of SIZE bytes, each starting with its index; the outcome of each. */
function burst(driver: Driver, count: number): PublishOutcome[] {
  const out: PublishOutcome[] = [];
  for (let i = 0; i < count; i++) out.push(driver.publish(SUBJECT, enc(`${i}:`.padEnd(SIZE, '.'))));
  return out;
}

const indexOf = (m: string): number => Number(m.slice(0, m.indexOf(':')));

/** A publisher through a relay, a subscriber straight to the server (what reaches it, in order), warmed up. */
async function rig(bufferBytes: number, fn: (pub: Driver, got: Collector<string>, relay: Relay) => Promise<void>): Promise<void> {
  const relay = await startRelay(nats.port);
  const pub = await createDriver('nats', { urls: [relay.url(nats.url)], name: 'stalled-pub', bufferBytes, bufferMessages: 100_000 });
  const sub = await createDriver('nats', { urls: [nats.url], name: 'sub' });
  try {
    await Promise.all([pub.connect(), sub.connect()]);
    const got = new Collector<string>();
    sub.subscribe(SUBJECT, (m) => got.push(dec(m.data)));
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

void test('nats: a link that hangs takes at most the write window; what follows waits in the bounded outbox and goes on the reconnect', { timeout: 60_000 }, async () => {
  await rig(256 * 1024, async (pub, got, relay) => {
    relay.stall();
    const outcomes = burst(pub, 4096);
    const sent = outcomes.filter((o) => o === 'sent').length;
    const buffered = outcomes.filter((o) => o === 'buffered').length;
    // Written into the hung link: the window's worth, not 4 MiB.
    assert.ok(sent * SIZE <= WINDOW + SIZE, `${sent} messages of ${SIZE} bytes written into a link that does not read`);
    assert.equal(sent + buffered, 4096);
    const held = pub.stats().pending;
    assert.ok(held > 0 && held * SIZE <= 256 * 1024, `${held} held`);
    assert.equal(pub.stats().dropped, buffered - held, 'every message the full outbox let go is counted');

    await relay.cut();
    await waitStatus(pub, 'reconnecting');
    await relay.restore();
    await waitStatus(pub, 'connected', 60_000);
    await pub.flush();
    // What was written into the hung link went with it; what the outbox held arrives, in order: the newest.
    const items = (await got.until(1 + held)).slice(1).map(indexOf);
    assert.deepEqual(items, Array.from({ length: held }, (_, k) => 4096 - held + k));
    assert.equal(pub.stats().pending, 0);
  });
});

void test('nats: once the server reads again, the held messages go out in order and none is lost; flush() waits for them', { timeout: 60_000 }, async () => {
  // 1.5 windows: one written into the stalled link, half a window held, nothing over the outbox's bound.
  await rig(WINDOW, async (pub, got, relay) => {
    relay.stall();
    const outcomes = burst(pub, 1536);
    assert.ok(outcomes.includes('buffered'), 'nothing held past the window');
    const flushed = pub.flush();
    relay.resume();
    await flushed;
    assert.equal(pub.stats().pending, 0, 'flush() resolved with messages still held');
    const items = (await got.until(1 + 1536)).slice(1).map(indexOf);
    assert.deepEqual(items, Array.from({ length: 1536 }, (_, k) => k));
    assert.equal(pub.stats().dropped, 0);
  });
});
