/**
 * A durable name belongs to its pattern, on every driver with durable streams: the same name with
 * the same filter resumes, another filter (or none) is refused as NATS refuses it, and the refused
 * consumer acknowledged nothing — the original consumer, back, still gets every event it had not
 * acknowledged. The drivers whose broker cannot filter (Redis, Kafka, RabbitMQ) filter on the
 * client, and a second filter under the same name acknowledged (skipped for good) what it did not
 * match. Run by each driver's own test file against its real broker.
 */
import { strict as assert } from 'node:assert';
import type { ConsumeDurableOptions, Driver, Subscription } from '@fsbus/transport';
import { TransportErrorCode } from '@fsbus/transport';
import { Collector, dec, enc } from '../conformance/helpers.js';

export interface DurablePatternCase {
  driver: Driver;
  stream: string;
  /** The first token of the stream's subjects (`<root>.events.>`); unique per case. */
  root: string;
  durable: string;
  /**
   * Resolves once the broker has `durable`'s acknowledgement of the event with `sequence` (Kafka
   * commits in the background; the other drivers store it before unsubscribe resolves).
   */
  acked?: (durable: string, sequence: number) => Promise<void>;
}

const SUBJECTS = ['channel.create', 'channel.answer', 'channel.hangup.complete'];
export const EVENTS = 9;

/** The stream, with EVENTS events published (data '1'…'9', subjects cycling through SUBJECTS). */
export async function fillStream(c: DurablePatternCase): Promise<void> {
  await c.driver.ensureStream({ name: c.stream, subjects: [`${c.root}.events.>`] });
  for (let i = 1; i <= EVENTS; i++) c.driver.publish(`${c.root}.events.${SUBJECTS[(i - 1) % SUBJECTS.length]!}`, enc(String(i)));
  await c.driver.flush();
}

/** Consumes until `count` events arrived, acknowledging each, then stops: their data in order. */
export async function consumeAcking(c: DurablePatternCase, options: ConsumeDurableOptions, count: number): Promise<string[]> {
  const got = new Collector<string>();
  let last = 0;
  const sub = await c.driver.consumeDurable(options, (m) => {
    // What comes after `count` stays unacknowledged, as with `fsbus events --count`.
    if (got.items.length >= count) return;
    last = m.sequence;
    got.push(dec(m.data));
    m.ack();
  });
  try {
    return (await got.until(count)).slice(0, count);
  } finally {
    if (last > 0) await c.acked?.(c.durable, last);
    await sub.unsubscribe();
  }
}

/** `consumeDurable` with `filter` is refused as NATS refuses it; the handler, if ever called, acknowledges. */
export async function assertRefused(c: DurablePatternCase, filter: string | undefined, had: string): Promise<void> {
  let sub: Subscription | undefined;
  const options: ConsumeDurableOptions = { stream: c.stream, durable: c.durable, from: 'all', ...(filter === undefined ? {} : { filter }) };
  const quote = (f: string | undefined) => (f === undefined || f === '' ? 'every subject' : `'${f}'`);
  const expected = `durable consumer '${c.durable}' of stream ${c.stream} reads ${quote(had)}, not ${quote(filter)}`;
  await assert.rejects(
    (async () => {
      sub = await c.driver.consumeDurable(options, (m) => m.ack());
    })(),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, TransportErrorCode.BROKER);
      assert.ok(err.message.startsWith(expected), `${err.message}\n  does not start with\n${expected}`);
      return true;
    },
    `consumeDurable with ${quote(filter)} under '${c.durable}' (made with ${quote(had)}) was not refused`,
  ).finally(() => sub?.unsubscribe());
}

/**
 * `fsbus events '<root>.events.channel.>' --durable d --count 1`, then the same name with
 * `channel.hangup.complete` and with no pattern (both refused), then the first pattern again:
 * it resumes with event 2, and has all the others.
 */
export async function durablePatternScenario(c: DurablePatternCase): Promise<void> {
  await fillStream(c);
  const wide: ConsumeDurableOptions = { stream: c.stream, durable: c.durable, filter: `${c.root}.events.channel.>`, from: 'all' };
  assert.deepEqual(await consumeAcking(c, wide, 1), ['1']);
  await assertRefused(c, `${c.root}.events.channel.hangup.complete`, wide.filter!);
  await assertRefused(c, undefined, wide.filter!);
  assert.deepEqual(await consumeAcking(c, wide, EVENTS - 1), ['2', '3', '4', '5', '6', '7', '8', '9']);
}

/**
 * A durable made before patterns were recorded (`makeLegacy`: its position at the stream's start,
 * nothing else) keeps working with whatever pattern it is used with first; that use records the
 * pattern, and another one is refused from then on.
 */
export async function legacyDurableScenario(c: DurablePatternCase, makeLegacy: () => Promise<void>): Promise<void> {
  await fillStream(c);
  await makeLegacy();
  const narrow: ConsumeDurableOptions = { stream: c.stream, durable: c.durable, filter: `${c.root}.events.channel.hangup.complete`, from: 'all' };
  assert.deepEqual(await consumeAcking(c, narrow, 1), ['3']);
  await assertRefused(c, `${c.root}.events.channel.>`, narrow.filter!);
  assert.deepEqual(await consumeAcking(c, narrow, 2), ['6', '9']);
}
