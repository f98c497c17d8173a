// Kafka: a durable consumer that retention overtakes while it runs — held at maxInFlight
// unacknowledged while the records after its position are deleted. The library resets such a
// reader to the log start in silence (OFFSET_OUT_OF_RANGE, fallback 'earliest'); the driver tells
// the deleted records (a warning, onRetentionLoss, in sequences: offset + 1) before the next one.
// deleteRecords moves the log start forward exactly where retention would.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { tracingChannel } from 'node:diagnostics_channel';
import { Admin } from '@platformatic/kafka';
import { startKafka } from '@fsbus/testkit';
import { createDriver, type DurableMessage, type RetentionLoss } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { capturedWarnings, Collector, dec, enc } from './conformance/helpers.js';

ensurePromiseWithResolvers();

/**
 * The fetches (and the metadata call before each) of group `group`'s consumers under way, from
 * the library's diagnostics channels. `idle()` resolves once none is: a paused reader then fetches
 * nothing more until it is released.
 */
function fetchWatch(group: string): { idle(): Promise<void>; stop(): void } {
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  const mine = (ctx: unknown): boolean => (ctx as { client?: { groupId?: string } }).client?.groupId === group;
  const handlers = {
    start: (ctx: unknown) => void (mine(ctx) && inFlight++),
    // After the callback ran: a metadata call's callback has started its fetch by then.
    asyncEnd: (ctx: unknown) => {
      if (!mine(ctx)) return;
      inFlight--;
      if (inFlight === 0) for (const w of waiters.splice(0)) w();
    },
  };
  const channels = ['plt:kafka:consumer:fetches', 'plt:kafka:base:metadata'].map((name) => tracingChannel(name));
  for (const c of channels) c.subscribe(handlers as never);
  return {
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    stop: () => {
      for (const c of channels) c.unsubscribe(handlers as never);
      waiters = [];
    },
  };
}

void test('kafka durable overtaken by retention while held: the records deleted under it are told before the next one', async () => {
  const kafka = await startKafka();
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'durable-overtaken-admin'));
  const { warnings, logger } = capturedWarnings();
  const driver = await createDriver('kafka', { urls: [kafka.url], logger });
  const watch = fetchWatch('billing');
  const opened: Array<{ unsubscribe(): Promise<void> }> = [];
  try {
    await driver.connect();
    await driver.ensureStream({ name: 'KOV', subjects: ['kov.events.>'] });
    const topic = 'kov.events';
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i <= to; i++) driver.publish('kov.events.cdr', enc(String(i)));
      await driver.flush();
    };
    await publish(1, 3);

    const told: Array<{ loss: RetentionLoss; after: number | undefined }> = [];
    const got = new Collector<DurableMessage>();
    // One out at a time: the first is held unacknowledged, the reader paused behind it.
    const sub = await driver.consumeDurable({ stream: 'KOV', durable: 'billing', from: 'all', maxInFlight: 1, onRetentionLoss: (loss) => void told.push({ loss, after: got.items.at(-1)?.sequence }) }, (m) => {
      if (got.items.length > 0) m.ack();
      got.push(m);
    });
    opened.push(sub);
    const [first] = await got.until(1);
    await watch.idle();

    // Held: 4..10 arrive (offsets 3..9) unfetched, and retention deletes offsets < 7 (sequences ≤ 7).
    await publish(4, 10);
    await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 7n }] }] });
    first!.ack();

    // What the reader had fetched before the hold (1..k, kept in its buffer) comes first; k+1..7 are gone.
    const all = await got.until(3);
    const k = all.findIndex((m) => m.sequence > 3);
    const fetched = k === -1 ? 3 : k;
    await got.until(fetched + 3);
    assert.deepEqual(all.map((m) => m.sequence), [...Array.from({ length: fetched }, (_, i) => i + 1), 8, 9, 10], all.map((m) => m.sequence).join(','));
    assert.deepEqual(all.slice(fetched).map((m) => dec(m.data)), ['8', '9', '10']);
    assert.deepEqual(told, [{ loss: { from: fetched + 1, to: 7, count: 7 - fetched }, after: fetched }], 'told once, before sequence 8');
    assert.equal(warnings.filter((w) => /retention removed/.test(w)).length, 1, warnings.join(' | '));
  } finally {
    watch.stop();
    for (const sub of opened) await sub.unsubscribe();
    await driver.close();
    await admin.close();
    await kafka.stop();
  }
});
