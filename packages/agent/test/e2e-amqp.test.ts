// The agent end-to-end suite over the amqp driver (see support/driver-e2e.ts).
import { startRabbitMq } from '@fsbus/testkit';
import { runAgentE2e } from './support/driver-e2e.js';

runAgentE2e('amqp', () => startRabbitMq());
