// Redis: a durable consumer group reads no more than maxInFlight entries the application has not
// acknowledged, XACKs each when the application does, and its next start gets the pending ones
// again (support/durable-flow.ts).
import { test } from 'node:test';
import { startRedis } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { durableFlowScenario } from './support/durable-flow.js';

void test('redis durable: at most maxInFlight out; the next start gets what was not acknowledged', async () => {
  const broker = await startRedis();
  const driver = await createDriver('redis', { urls: [broker.url], namespace: 'flow' });
  try {
    await driver.connect();
    await durableFlowScenario(driver, 'FLOW', 'rd', 'unacknowledged');
  } finally {
    await driver.close();
    await broker.stop();
  }
});
