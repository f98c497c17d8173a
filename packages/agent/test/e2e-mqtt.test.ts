// The agent end-to-end suite over the mqtt driver (see support/driver-e2e.ts).
import { startMosquitto } from '@fsbus/testkit';
import { runAgentE2e } from './support/driver-e2e.js';

runAgentE2e('mqtt', () => startMosquitto());
