// Durable event replay over the redis driver (Redis Streams), agent to consumer.
import { startRedis } from '@fsbus/testkit';
import { runStreamReplay } from './support/stream-replay.js';

runStreamReplay('redis', () => startRedis());
