// RabbitMQ: a named durable acknowledges to the broker only when the application does, with
// maxInFlight as prefetch, and stores the first offset not acknowledged (support/durable-flow.ts).
import { test } from 'node:test';
import { startRabbitMq } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { durableFlowScenario } from './support/durable-flow.js';

void test('amqp durable: at most maxInFlight out; the stored position is the first event not acknowledged', async () => {
  const broker = await startRabbitMq();
  const driver = await createDriver('amqp', { urls: [broker.url], namespace: 'flow' });
  try {
    await driver.connect();
    await durableFlowScenario(driver, 'FLOW', 'am');
  } finally {
    await driver.close();
    await broker.stop();
  }
});
