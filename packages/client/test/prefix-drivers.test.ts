// A client and agents with a subject prefix of their own, over the drivers whose broker-side names
// derive from it (the AMQP exchange, the Redis lane keys): the client must use the prefix there too.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startRabbitMq, startRedis } from '@fsbus/testkit';
import { startStack, type Broker, type Stack } from './support/stack.js';

for (const [driver, startBroker] of [
  ['amqp', () => startRabbitMq()],
  ['redis', () => startRedis()],
] as Array<[string, () => Promise<Broker>]>) {
  void describe(`@fsbus/client with prefix fs.prod over ${driver}`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ nodes: 1, driver, startBroker, config: { subject_prefix: 'fs.prod' } });
    });
    after(async () => {
      await stack.stop();
    });

    void it(`${driver}: commands reach the agent and its answer comes back`, async () => {
      assert.equal(stack.bus.prefix, 'fs.prod');
      const status = await stack.bus.status();
      assert.equal(status.node_id, 'node-1');
      assert.match(await stack.bus.api('status'), /UP/);
    });
  });
}
