// Kafka: a durable consumer is held back at maxInFlight unacknowledged (its reader paused), and its
// group commits the ack floor, not each acknowledged offset (support/durable-flow.ts).
import { test } from 'node:test';
import { startKafka } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { durableFlowScenario } from './support/durable-flow.js';

void test('kafka durable: at most maxInFlight out; the group resumes at the first event not acknowledged', async () => {
  const kafka = await startKafka();
  const driver = await createDriver('kafka', { urls: [kafka.url] });
  try {
    await driver.connect();
    await durableFlowScenario(driver, 'FLOW', 'kf');
  } finally {
    await driver.close();
    await kafka.stop();
  }
});
