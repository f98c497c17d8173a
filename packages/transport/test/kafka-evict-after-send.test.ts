// Records publish() reported 'sent' that the Kafka driver later drops for room are handed back to
// their publisher (PublishOptions.onDroppedAfterSend) with their subject and bytes, and counted
// once: pushed out of the full send queue, or out of the outbox when a lost connection hands the
// send queue's records back in front of what was buffered meanwhile. Before, both were only
// counted, and the agent took them for its buffer's drops (no hangups, no event-id range).
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, type PublishOutcome } from '@fsbus/transport';
import type { DriverLogger } from '../src/driver.js';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

const BUFFER = 4;
/** KafkaSendQueue's warning for records the broker refused (not a lost link): dropped, handed back. */
const REFUSED_LOG = 'kafka refused records, dropped';

void test('kafka: records pushed out of the full send queue after publish() said sent are handed back once, with their subjects, and counted once', { timeout: 120_000 }, async (t) => {
  const driver = await createDriver('kafka', { urls: [kafka.url], name: 'evict-queue', bufferMessages: BUFFER });
  t.after(() => driver.close());
  await driver.connect();
  const told = new Collector<string>();
  const subjects: string[] = [];
  const marks: Array<number | undefined> = [];
  const onDroppedAfterSend = (subject: string, data: Uint8Array, lossMark?: number): void => {
    subjects.push(subject);
    marks.push(lossMark);
    told.push(dec(data));
  };
  // One tick: the send loop has not drained the queue yet, so it holds the newest BUFFER only.
  const outcomes: PublishOutcome[] = [];
  for (let i = 0; i < 10; i++) outcomes.push(driver.publish(`evq.events.e${i}`, enc(`e${i}`), { onDroppedAfterSend, lossMark: 1000 + i }));
  assert.deepEqual(outcomes, Array<PublishOutcome>(10).fill('sent'));
  await driver.flush();
  assert.deepEqual(told.items, ['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
  assert.deepEqual(subjects, ['evq.events.e0', 'evq.events.e1', 'evq.events.e2', 'evq.events.e3', 'evq.events.e4', 'evq.events.e5'], "the publisher's subjects, not the topic");
  assert.deepEqual(marks, [1000, 1001, 1002, 1003, 1004, 1005], "the publisher's lossMarks, with the bytes");
  const { published, dropped } = driver.stats();
  assert.deepEqual({ published, dropped }, { published: BUFFER, dropped: 6 });
});

void test('kafka: records a lost connection hands back from the send queue, pushed out of the full outbox, are handed back once and counted once', { timeout: 300_000 }, async (t) => {
  // The broker's refusals, logged with how many records each drops (KafkaSendQueue.#refuse).
  const refused: Array<{ records: number; err: string }> = [];
  const quiet = (): void => undefined;
  const logger: DriverLogger = {
    debug: quiet,
    info: quiet,
    error: quiet,
    warn: (o, msg) => {
      const f = o as { records?: number; err?: unknown };
      if (msg === REFUSED_LOG) refused.push({ records: f.records ?? 0, err: String((f.err as Error | undefined)?.message ?? f.err) });
    },
  };
  // The frozen broker noticed within two liveness intervals (4 s), not the default's 20 s.
  const driver = await createDriver('kafka', { urls: [kafka.url], name: 'evict-outbox', bufferMessages: BUFFER, logger, livenessIntervalMs: 2000 });
  // After hooks run in registration order: the broker thaws first, or close() waits on it frozen.
  t.after(() => kafka.resume());
  t.after(() => driver.close());
  await driver.connect();
  // The topic exists and is known: the produce below goes out without a metadata round trip.
  driver.publish('evo.events.warm', enc('warm'));
  await driver.flush();
  const told = new Collector<string>();
  const onDroppedAfterSend = (_subject: string, data: Uint8Array): void => told.push(dec(data));
  await kafka.pause();
  // In flight to a frozen broker: 'sent'. The liveness check (or the produce's timeout) gives the
  // link up, the driver goes 'reconnecting', and what follows is buffered until the outbox is full.
  const sent = ['s0', 's1', 's2', 's3'].map((s) => driver.publish('evo.events.x', enc(s), { onDroppedAfterSend }));
  assert.deepEqual(sent, ['sent', 'sent', 'sent', 'sent']);
  await waitStatus(driver, 'reconnecting', 150_000);
  const buffered = ['b0', 'b1', 'b2', 'b3'].map((b) => driver.publish('evo.events.x', enc(b), { onDroppedAfterSend }));
  assert.deepEqual(buffered, ['buffered', 'buffered', 'buffered', 'buffered']);
  // The produce fails for good: its records go back in front of the full outbox, which keeps the
  // newest — the oldest, all four put back, are pushed out and handed back, nothing else.
  assert.deepEqual(await told.until(4, 150_000), ['s0', 's1', 's2', 's3']);
  assert.equal(driver.stats().dropped, 4);
  assert.equal(refused.length, 0, 'a frozen broker refuses nothing: s0..s3 were pushed out, not refused');
  kafka.resume();
  // Until the four kept are acknowledged or dropped: a link lost again on the way puts them back in
  // the outbox and flush() returns while 'reconnecting', so wait for the next 'connected'.
  do {
    await waitStatus(driver, 'connected', 90_000);
    await driver.flush();
  } while (driver.status !== 'connected');
  // Every record accounted for once: the warm-up and s0..b3 acknowledged or handed back, nobody
  // told twice. The broker just thawed may still refuse the first produce under load (seen once in
  // 10 runs at load ≈18: published 1, dropped 8, told 8): a record it refuses is handed back too
  // (KafkaSendQueue.#refuse), so how b0..b3 split between acknowledged and told is the broker's,
  // but each b told is one the broker refused, and logged.
  const { published, dropped, pending } = driver.stats();
  const lateRefusals = refused.reduce((n, r) => n + r.records, 0);
  const detail = `told ${JSON.stringify(told.items)}, refused after the thaw ${JSON.stringify(refused)}`;
  t.diagnostic(`published ${published}, dropped ${dropped}, ${detail}`);
  assert.equal(pending, 0, detail);
  assert.equal(new Set(told.items).size, told.items.length, `told twice: ${detail}`);
  assert.deepEqual(told.items.slice(0, 4), ['s0', 's1', 's2', 's3'], detail);
  assert.ok(told.items.slice(4).every((b) => /^b[0-3]$/.test(b)), detail);
  assert.equal(told.items.length - 4, lateRefusals, `a b handed back without a refusal: ${detail}`);
  assert.deepEqual({ published, dropped, told: told.items.length }, { published: 5 - lateRefusals, dropped: 4 + lateRefusals, told: 4 + lateRefusals }, detail);
});
