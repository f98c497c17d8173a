// Redis: a durable name belongs to its pattern (support/durable-pattern.ts). The pattern is kept in
// the hash `<stream key>:filters` (durable → filter), written with the consumer group by one script.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis, type BrokerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { durablePatternScenario, legacyDurableScenario } from './support/durable-pattern.js';

void describe('redis: a durable name belongs to its pattern', () => {
  let broker: BrokerHandle;
  let raw: Redis;
  let driver: Driver;

  before(async () => {
    broker = await startRedis();
    raw = new Redis(broker.url);
    driver = await createDriver('redis', { urls: [broker.url], namespace: 'dp' });
    await driver.connect();
  });
  after(async () => {
    await driver.close();
    await raw.quit();
    await broker.stop();
  });

  void test('same pattern resumes; another pattern, or none, is refused and acknowledges nothing', async () => {
    await durablePatternScenario({ driver, stream: 'P1', root: 'r1', durable: 'd2' });
    assert.equal(await raw.hget('dp:stream:P1:filters', 'd2'), 'r1.events.channel.>');
  });

  void test('a group made before patterns were recorded keeps working, and records the pattern it is first used with', async () => {
    await legacyDurableScenario({ driver, stream: 'P2', root: 'r2', durable: 'old' }, async () => {
      await raw.xgroup('CREATE', 'dp:stream:P2', 'old', '0-0');
    });
  });

  void test('a group deleted by hand (XGROUP DESTROY) takes the pattern of its next use', async () => {
    await driver.ensureStream({ name: 'P3', subjects: ['r3.events.>'] });
    const options = { stream: 'P3', durable: 'gone', from: 'all' as const };
    await (await driver.consumeDurable({ ...options, filter: 'r3.events.a' }, () => undefined)).unsubscribe();
    await raw.xgroup('DESTROY', 'dp:stream:P3', 'gone');
    await (await driver.consumeDurable({ ...options, filter: 'r3.events.b' }, () => undefined)).unsubscribe();
    assert.equal(await raw.hget('dp:stream:P3:filters', 'gone'), 'r3.events.b');
  });
});
