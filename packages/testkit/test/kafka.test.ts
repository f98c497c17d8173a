import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { kafkaBrokerCount, startKafka } from '@fsbus/testkit';

void test('starts Kafka (KRaft) on free ports, answers Metadata, restarts on the same port, stops and cleans up', async () => {
  const kafka = await startKafka();
  try {
    assert.ok(kafka.port > 0);
    assert.equal(kafka.url, `kafka://127.0.0.1:${kafka.port}`);
    assert.equal(await kafkaBrokerCount('127.0.0.1', kafka.port, 5000), 1);
    const port = kafka.port;
    await kafka.restart();
    assert.equal(kafka.port, port);
    assert.equal(await kafkaBrokerCount('127.0.0.1', port, 5000), 1);
  } finally {
    await kafka.stop();
  }
  assert.ok(!existsSync(kafka.logDir));
  await assert.rejects(kafkaBrokerCount('127.0.0.1', kafka.port, 2000));
});
