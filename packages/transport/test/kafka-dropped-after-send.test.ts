// A record Kafka refuses after the driver sent it (publish() said 'sent'; here one over its topic's
// own max.message.bytes, an override the driver does not watch) is handed back to its publisher
// (PublishOptions.onDroppedAfterSend) with its subject and bytes, and counted once in `dropped`.
// Before, the send queue only counted it: the agent took the drop for its buffer's.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin } from '@platformatic/kafka';
import { startKafka } from '@fsbus/testkit';
import { createDriver, type PublishOutcome } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { enc } from './conformance/helpers.js';

ensurePromiseWithResolvers();

const TOPIC_LIMIT = 16 * 1024;

void test('kafka: a record the broker refuses after it was sent is handed to its publisher once, with its subject and bytes, and counted once', { timeout: 180_000 }, async () => {
  const kafka = await startKafka();
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'dropped-after-send-admin'));
  const driver = await createDriver('kafka', { urls: [kafka.url], name: 'dropped-after-send' });
  try {
    await admin.createTopics({ topics: ['das.results'], partitions: 1, replicas: -1, configs: [{ name: 'max.message.bytes', value: String(TOPIC_LIMIT) }] });
    await driver.connect();
    const told: Array<{ subject: string; data: Uint8Array }> = [];
    const onDroppedAfterSend = (subject: string, data: Uint8Array): void => void told.push({ subject, data });
    const big = new Uint8Array(TOPIC_LIMIT + 4096).fill(7);
    // One tick: one batch, refused for the big record, whose neighbour is then produced alone.
    const outcomes: PublishOutcome[] = [
      driver.publish('das.results.small', enc('1'), { onDroppedAfterSend }),
      driver.publish('das.results.big', big, { onDroppedAfterSend }),
    ];
    await driver.flush();
    assert.deepEqual(outcomes, ['sent', 'sent']);
    assert.equal(told.length, 1, 'told once');
    assert.equal(told[0]!.subject, 'das.results.big', "the publisher's subject, not the topic");
    assert.equal(told[0]!.data, big);
    const { published, dropped } = driver.stats();
    assert.deepEqual({ published, dropped }, { published: 1, dropped: 1 });
  } finally {
    await driver.close();
    await admin.close();
    await kafka.stop();
  }
});
