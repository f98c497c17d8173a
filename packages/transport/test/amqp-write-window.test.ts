// The write-window cases (support/write-window.ts) on AMQP: the window is bufferBytes, at least
// 64 MiB, settled by publisher confirms. When the link breaks, amqplib fails its unconfirmed
// publishes: they go back in front of those held, so the reconnect sends them in publish order,
// and over the outbox's bound the oldest go, counted.
import { startRabbitMq } from '@fsbus/testkit';
import { range, writeWindowCases } from './support/write-window.js';

const WINDOW = 64 * 1024 * 1024;
const SIZE = 16 * 1024;
/** Messages the outbox (bufferBytes = WINDOW) holds at most. */
const OUTBOX = WINDOW / SIZE;

writeWindowCases({
  driver: 'amqp',
  startBroker: () => startRabbitMq(),
  window: WINDOW,
  size: SIZE,
  hung: { count: OUTBOX + 1024, bufferBytes: WINDOW, afterBreak: ({ count }) => ({ items: range(count - OUTBOX, count), dropped: count - OUTBOX }) },
  stalled: { count: OUTBOX + 1024, bufferBytes: WINDOW },
});
