// The write-window cases (support/write-window.ts) on NATS: the window is bufferBytes, at least
// 1 MiB, confirmed by a PING's PONG. What was written into a link that broke is lost with it
// (core NATS has no acknowledgement to send it again by): only the held messages arrive.
import { startNatsServer } from '@fsbus/testkit';
import { range, writeWindowCases } from './support/write-window.js';

writeWindowCases({
  driver: 'nats',
  startBroker: () => startNatsServer(),
  window: 1024 * 1024,
  size: 1024,
  hung: { count: 4096, bufferBytes: 256 * 1024, afterBreak: ({ sent, held, count }) => ({ items: range(count - held, count), dropped: count - sent - held }) },
  // 1.5 windows: one written into the stalled link, half a window held, nothing over the outbox's bound.
  stalled: { count: 1536, bufferBytes: 1024 * 1024 },
});
