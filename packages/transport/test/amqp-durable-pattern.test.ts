// RabbitMQ: a durable name belongs to its pattern (support/durable-pattern.ts). The pattern travels
// with the position, as the `fsbus-filter` header of the one message of the offset queue.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, type ChannelModel } from 'amqplib';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { durablePatternScenario, legacyDurableScenario } from './support/durable-pattern.js';

void describe('amqp: a durable name belongs to its pattern', () => {
  let broker: RabbitMqHandle;
  let raw: ChannelModel;
  let driver: Driver;

  before(async () => {
    broker = await startRabbitMq();
    raw = await connect(broker.url);
    driver = await createDriver('amqp', { urls: [broker.url], namespace: 'dp' });
    await driver.connect();
  });
  after(async () => {
    await driver.close();
    await raw.close();
    await broker.stop();
  });

  void test('same pattern resumes; another pattern, or none, is refused and acknowledges nothing', async () => {
    await durablePatternScenario({ driver, stream: 'P1', root: 'r1', durable: 'd2' });
    const ch = await raw.createChannel();
    try {
      const stored = await ch.get('dp.stream.P1.offset.d2', { noAck: true });
      assert.ok(stored !== false);
      assert.equal(stored.content.toString(), '9');
      assert.equal(String(stored.properties.headers?.['fsbus-filter']), 'r1.events.channel.>');
    } finally {
      await ch.close();
    }
  });

  void test('a position stored before patterns were recorded keeps working, and records the pattern it is first used with', async () => {
    await legacyDurableScenario({ driver, stream: 'P2', root: 'r2', durable: 'old' }, async () => {
      const ch = await raw.createConfirmChannel();
      try {
        await ch.assertQueue('dp.stream.P2.offset.old', { durable: true, arguments: { 'x-max-length': 1 } });
        ch.sendToQueue('dp.stream.P2.offset.old', Buffer.from('0'), { persistent: true });
        await ch.waitForConfirms();
      } finally {
        await ch.close();
      }
    });
  });
});
