// The write-window cases (support/write-window.ts) on Redis: the window is bufferBytes, at least
// 1 MiB, settled by each command's reply. When the link breaks, ioredis sends its unanswered
// commands again as soon as it is back, before the driver sends what it held: everything written
// into the link and everything held arrives, in publish order.
import { startRedis } from '@fsbus/testkit';
import { range, writeWindowCases } from './support/write-window.js';

writeWindowCases({
  driver: 'redis',
  startBroker: () => startRedis(),
  window: 1024 * 1024,
  size: 1024,
  hung: { count: 4096, bufferBytes: 256 * 1024, afterBreak: ({ sent, held, count }) => ({ items: [...range(0, sent), ...range(count - held, count)], dropped: count - sent - held }) },
  stalled: { count: 1536, bufferBytes: 1024 * 1024 },
});
