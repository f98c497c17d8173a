// The write-window cases (support/write-window.ts) on Redis: the window is bufferBytes, at least
// 1 MiB, settled by each command's reply. When the link breaks, ioredis sends its unanswered
// commands again as soon as it is back, before the driver sends what it held: everything written
// into the link and everything held arrives, in publish order.
import { startRedis } from '@fsbus/testkit';
import { resentOnReconnect, writeWindowCases } from './support/write-window.js';

writeWindowCases(resentOnReconnect('redis', () => startRedis()));
