// The line of events the broker failed after they were sent, rate-limited: its summary stands for
// every drop of the interval. It carried the last drop's own counts beside `suppressed` (read as
// `events_dropped: 1, suppressed: 21` in a broker outage that lost 22) and the broker's status at
// that drop ("connected", written ten seconds into the outage).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { BufferedLoss, EVENTS_DROPPED_AFTER_SEND_LOG } from '../src/buffered-loss.js';
import type { EventLoss } from '../src/lifecycle-events.js';
import type { EventPublisher } from '../src/event-publisher.js';

const loss = (count: number, hangups: number, sinceUs: number, untilUs: number): EventLoss => ({ count, hangups, sinceUs, untilUs });

void test('after-send drops: the summary line adds up the drops it stands for, over their range, with the broker status when written', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  let broker = 'connected';
  const lost = new BufferedLoss({ logger, buffer: { buffer_messages: 10, buffer_bytes: 1000 }, brokerStatus: () => broker, droppedTotal: () => 0, announce: () => true });
  const reporting = lost.reporting;
  const running = loss(0, 0, 0, 0);
  reporting.onDropped(loss(1, 1, 100, 100), running, 'after-send');
  reporting.onDropped(loss(2, 0, 150, 180), running, 'after-send');
  reporting.onDropped(loss(3, 1, 90, 120), running, 'after-send');
  broker = 'reconnecting';
  lost.flush();
  const said = lines.filter((l) => l['msg'] === EVENTS_DROPPED_AFTER_SEND_LOG).map(({ events_dropped, hangups_dropped, since_us, until_us, broker, suppressed }) => ({ events_dropped, hangups_dropped, since_us, until_us, broker, suppressed }));
  assert.deepEqual(said, [
    { events_dropped: 1, hangups_dropped: 1, since_us: 100, until_us: 100, broker: 'connected', suppressed: undefined },
    { events_dropped: 5, hangups_dropped: 1, since_us: 90, until_us: 180, broker: 'reconnecting', suppressed: 2 },
  ]);
});

void test('the after-send line says those events may have arrived and names their counter, events_dropped', () => {
  // A NATS connection that goes takes what no PONG confirmed: on a clean broker restart, events a
  // subscriber got. A line saying they "failed" misled operators (and events_failed stays 0).
  assert.match(EVENTS_DROPPED_AFTER_SEND_LOG, /not confirmed/);
  assert.match(EVENTS_DROPPED_AFTER_SEND_LOG, /possibly delivered/);
  assert.match(EVENTS_DROPPED_AFTER_SEND_LOG, /counted in events_dropped, not events_failed/);
});

void test('a buffer overflowed with the broker connected is told once it is empty, not at each drain of a burst still going', async () => {
  const logger = pino({ level: 'silent' });
  const drains: Array<() => void> = [];
  let pending = 0;
  const told: EventLoss[] = [];
  const lost = new BufferedLoss({
    logger,
    buffer: { buffer_messages: 4, buffer_bytes: 1000 },
    brokerStatus: () => 'connected',
    droppedTotal: () => 0,
    announce: (l) => told.push(l) > 0,
    drained: () => new Promise<void>((resolve) => drains.push(resolve)),
    pending: () => pending,
  });
  let loss: EventLoss | undefined = loss4();
  // The publisher keeps the loss until it is taken (a stand-in for EventPublisher's own bookkeeping).
  lost.attach({ takeLoss: () => [loss, (loss = undefined)][0], hangupsHeld: () => 0, acceptsOwn: () => true } as unknown as EventPublisher);
  lost.reporting.onDropped(loss4(), loss4(), 'buffer-full');
  assert.equal(drains.length, 1);
  // What was held went out, but the burst refilled the buffer meanwhile: not told yet, waits again.
  pending = 3;
  drains[0]!();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(told, []);
  assert.equal(drains.length, 2);
  pending = 0;
  drains[1]!();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(told, [loss4()]);
});

function loss4(): EventLoss {
  return { count: 4, hangups: 0, sinceUs: 1, untilUs: 2 };
}
