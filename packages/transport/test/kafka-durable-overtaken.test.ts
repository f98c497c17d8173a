// Kafka: a durable consumer that retention overtakes while it runs — held at maxInFlight
// unacknowledged while the records after its position are deleted. The library resets such a
// reader to the log start in silence (OFFSET_OUT_OF_RANGE, fallback 'earliest'); the driver tells
// the deleted records (a warning, onRetentionLoss, in sequences: offset + 1) before the next one.
// A durable made from 'new' resets there too, not past the records still there: its group got its
// position at the end when it was made. deleteRecords moves the log start exactly where retention would.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { tracingChannel } from 'node:diagnostics_channel';
import { Admin } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
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

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

interface Held {
  publish: (from: number, to: number) => Promise<void>;
  /** Deletes the records below `offset`, as retention would. */
  deleteBelow: (offset: bigint) => Promise<void>;
  got: Collector<DurableMessage>;
  told: Array<{ loss: RetentionLoss; after: number | undefined }>;
  warnings: string[];
  /** Resolves with the first message, held unacknowledged, once the reader fetches nothing more. */
  holding: () => Promise<DurableMessage>;
}

/**
 * A durable `group` of stream `stream` (topic `<prefix>.events`) read one message at a time (the
 * first one held unacknowledged, the rest acknowledged), for `body`; everything closed after.
 */
async function withHeldDurable(stream: string, prefix: string, group: string, from: 'all' | 'new', published: number, body: (h: Held) => Promise<void>): Promise<void> {
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, `${group}-admin`));
  const { warnings, logger } = capturedWarnings();
  const driver = await createDriver('kafka', { urls: [kafka.url], logger });
  const watch = fetchWatch(group);
  let sub: { unsubscribe(): Promise<void> } | undefined;
  try {
    await driver.connect();
    await driver.ensureStream({ name: stream, subjects: [`${prefix}.events.>`] });
    const publish = async (first: number, last: number): Promise<void> => {
      for (let i = first; i <= last; i++) driver.publish(`${prefix}.events.cdr`, enc(String(i)));
      await driver.flush();
    };
    await publish(1, published);
    const told: Held['told'] = [];
    const got = new Collector<DurableMessage>();
    sub = await driver.consumeDurable({ stream, durable: group, from, maxInFlight: 1, onRetentionLoss: (loss) => void told.push({ loss, after: got.items.at(-1)?.sequence }) }, (m) => {
      if (got.items.length > 0) m.ack();
      got.push(m);
    });
    const holding = async (): Promise<DurableMessage> => {
      const [first] = await got.until(1);
      await watch.idle();
      return first!;
    };
    const deleteBelow = async (offset: bigint): Promise<void> => void (await admin.deleteRecords({ topics: [{ name: `${prefix}.events`, partitions: [{ partition: 0, offset }] }] }));
    await body({ publish, deleteBelow, got, told, warnings, holding });
  } finally {
    watch.stop();
    await sub?.unsubscribe();
    await driver.close();
    await admin.close();
  }
}

void test('kafka durable overtaken by retention while held: the records deleted under it are told before the next one', async () => {
  await withHeldDurable('KOV', 'kov', 'billing', 'all', 3, async ({ publish, deleteBelow, got, told, warnings, holding }) => {
    const first = await holding();
    // Held: 4..10 arrive (offsets 3..9) unfetched, and retention deletes offsets < 7 (sequences ≤ 7).
    await publish(4, 10);
    await deleteBelow(7n);
    first.ack();

    // What the reader had fetched before the hold (1..k, kept in its buffer) comes first; k+1..7 are gone.
    const all = await got.until(3);
    const k = all.findIndex((m) => m.sequence > 3);
    const fetched = k === -1 ? 3 : k;
    await got.until(fetched + 3);
    assert.deepEqual(all.map((m) => m.sequence), [...Array.from({ length: fetched }, (_, i) => i + 1), 8, 9, 10], all.map((m) => m.sequence).join(','));
    assert.deepEqual(all.slice(fetched).map((m) => dec(m.data)), ['8', '9', '10']);
    assert.deepEqual(told, [{ loss: { from: fetched + 1, to: 7, count: 7 - fetched }, after: fetched }], 'told once, before sequence 8');
    assert.equal(warnings.filter((w) => /retention removed/.test(w)).length, 1, warnings.join(' | '));
  });
});

void test("kafka durable made from 'new', overtaken while held: it goes on at the oldest record left, not at the end", async () => {
  // 1..3 are there before it is made: not its own.
  await withHeldDurable('KON', 'kon', 'audit', 'new', 3, async ({ publish, deleteBelow, got, told, warnings, holding }) => {
    await publish(4, 6);
    const first = await holding();
    assert.equal(first.sequence, 4, 'it starts after what was there when it was made');
    // Held: 7..12 arrive (offsets 6..11) unfetched, and retention deletes offsets < 9 (sequences ≤ 9).
    await publish(7, 12);
    await deleteBelow(9n);
    first.ack();

    const all = await got.until(3);
    const k = all.findIndex((m) => m.sequence > 6);
    const fetched = k === -1 ? 3 : k; // of 4..6
    await got.until(fetched + 3);
    assert.deepEqual(all.map((m) => m.sequence), [...Array.from({ length: fetched }, (_, i) => i + 4), 10, 11, 12], all.map((m) => m.sequence).join(','));
    assert.deepEqual(told, [{ loss: { from: fetched + 4, to: 9, count: 6 - fetched }, after: fetched + 3 }], 'told once, before sequence 10');
    assert.equal(warnings.filter((w) => /retention removed/.test(w)).length, 1, warnings.join(' | '));
  });
});
