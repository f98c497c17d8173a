/**
 * A durable consumer is held back, never dropped from: at most `maxInFlight` events are out
 * unacknowledged (the client passes its buffer size, so its buffer never overflows), and its
 * stored position is the first event not acknowledged, so the next start delivers that one again
 * — never skips it because events after it were acknowledged. Kafka and RabbitMQ keep one offset
 * per durable: what was acknowledged after the hole comes again too (at least once); Redis
 * acknowledges each entry (its consumer group's pending list), so only the hole comes again. Run
 * by each driver's own test file against its real broker.
 */
import { strict as assert } from 'node:assert';
import type { ConsumeDurableOptions, DurableMessage, Driver } from '@fsbus/transport';
import { Collector, dec, enc } from '../conformance/helpers.js';

const MAX_IN_FLIGHT = 4;

/** Events 1…12 on `<root>.events.cdr`, but 3 and 8 on `<root>.events.other` (filtered out). */
const OTHER = new Set([3, 8]);
const CDRS = ['1', '2', '4', '5', '6', '7', '9', '10', '11', '12'];

/** A consumer that counts what is out: handed over and not acknowledged. */
async function consume(driver: Driver, options: ConsumeDurableOptions, autoAck: boolean) {
  const got = new Collector<DurableMessage>();
  const state = { out: 0, mostOut: 0 };
  const sub = await driver.consumeDurable(options, (m) => {
    let acked = false;
    const counted: DurableMessage = {
      ...m,
      ack: () => {
        if (!acked) state.out--;
        acked = true;
        m.ack();
      },
    };
    state.mostOut = Math.max(state.mostOut, ++state.out);
    got.push(counted);
    if (autoAck) counted.ack();
  });
  const data = (n: number) => got.until(n).then((items) => items.map((m) => dec(m.data)));
  return { got, state, sub, data };
}

/** What the next start delivers again: from the first event not acknowledged on ('offset'), or only what was not acknowledged. */
export type Resumes = 'offset' | 'unacknowledged';

export async function durableFlowScenario(driver: Driver, stream: string, root: string, resumes: Resumes = 'offset'): Promise<void> {
  await driver.ensureStream({ name: stream, subjects: [`${root}.events.>`] });
  for (let i = 1; i <= 12; i++) driver.publish(`${root}.events.${OTHER.has(i) ? 'other' : 'cdr'}`, enc(String(i)));
  await driver.flush();
  const options: ConsumeDurableOptions = { stream, durable: 'billing', filter: `${root}.events.cdr`, from: 'all', maxInFlight: MAX_IN_FLIGHT };

  const first = await consume(driver, options, false);
  try {
    // Nothing acknowledged: the consumer gets 4, and no more.
    assert.deepEqual(await first.data(4), CDRS.slice(0, 4), 'with nothing acknowledged, maxInFlight are handed over, not more');
    // Every one acknowledged but '2' (a slow one): room for 3 more each time.
    // A copy: a driver may hand the next one over inside ack(), and those are not acknowledged yet.
    for (const m of [...first.got.items]) if (dec(m.data) !== '2') m.ack();
    assert.deepEqual(await first.data(7), CDRS.slice(0, 7));
    for (const m of first.got.items.slice(4)) m.ack();
    assert.deepEqual(await first.data(10), CDRS);
    for (const m of first.got.items.slice(7)) m.ack();
    assert.equal(first.state.mostOut, MAX_IN_FLIGHT, `at most ${MAX_IN_FLIGHT} out unacknowledged`);
    assert.equal(first.state.out, 1);
  } finally {
    await first.sub.unsubscribe();
  }

  // '2' was never acknowledged: the next start begins with it.
  const second = await consume(driver, options, true);
  try {
    if (resumes === 'offset') assert.deepEqual(await second.data(9), CDRS.slice(1), 'the next start resumes at the first event not acknowledged');
    else assert.deepEqual(await second.data(1), ['2'], 'the next start delivers the event not acknowledged');
  } finally {
    await second.sub.unsubscribe();
  }

  // All acknowledged before the unsubscribe: nothing comes again.
  driver.publish(`${root}.events.cdr`, enc('13'));
  await driver.flush();
  const third = await consume(driver, options, true);
  try {
    assert.deepEqual(await third.data(1), ['13'], 'what was acknowledged before the unsubscribe is not delivered again');
  } finally {
    await third.sub.unsubscribe();
  }
}
