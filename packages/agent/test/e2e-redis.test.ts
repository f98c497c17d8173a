// The agent end-to-end suite over the redis driver (see support/driver-e2e.ts).
import { startRedis } from '@fsbus/testkit';
import { runAgentE2e } from './support/driver-e2e.js';

runAgentE2e('redis', () => startRedis());
