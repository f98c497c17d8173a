// The write-window cases (support/write-window.ts) on AMQP: the window is bufferBytes, at least
// 64 MiB, settled by publisher confirms. When the link breaks, amqplib fails its unconfirmed
// publishes: they go back in front of those held, so the reconnect sends them in publish order,
// and over the outbox's bound the oldest go, counted.
import { after, before } from 'node:test';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { range, writeWindowCases } from './support/write-window.js';

const WINDOW = 64 * 1024 * 1024;
const SIZE = 16 * 1024;
/** Messages the outbox (bufferBytes = WINDOW) holds at most. */
const OUTBOX = WINDOW / SIZE;

let broker: RabbitMqHandle;
before(async () => {
  broker = await startRabbitMq();
});
after(() => broker.stop());

writeWindowCases({
  driver: 'amqp',
  broker: () => broker,
  window: WINDOW,
  size: SIZE,
  hung: { count: OUTBOX + 1024, bufferBytes: WINDOW, afterBreak: ({ count }) => ({ items: range(count - OUTBOX, count), dropped: count - OUTBOX }) },
  stalled: { count: OUTBOX + 1024, bufferBytes: WINDOW },
});
