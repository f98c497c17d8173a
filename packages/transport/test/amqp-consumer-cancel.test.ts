// RabbitMQ cancels a consumer whose queue is deleted (an operator, a policy, the cluster node
// holding a classic queue going down): amqplib hands the consumer a null. The driver ignored it
// and stayed 'connected' while serving nothing — requests got "no responders", events were routed
// nowhere, nothing counted or said. Now it says so and sets the consumer up again.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from 'amqplib';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { Collector, dec, enc } from './conformance/helpers.js';

let broker: RabbitMqHandle;
before(async () => {
  broker = await startRabbitMq();
});
after(() => broker.stop());

async function deleteQueues(...names: string[]): Promise<void> {
  const conn = await connect(broker.url);
  try {
    const ch = await conn.createChannel();
    for (const name of names) await ch.deleteQueue(name);
  } finally {
    await conn.close();
  }
}

void test('amqp: a lane and a subscription whose queues the broker deleted are said and set up again', { timeout: 60_000 }, async (t) => {
  const agent = await createDriver('amqp', { urls: [broker.url], name: 'agent' });
  const client = await createDriver('amqp', { urls: [broker.url], name: 'client' });
  t.after(async () => {
    await client.close();
    await agent.close();
  });
  const cancelled = new Collector<string>();
  agent.on((e) => {
    if (e.type === 'error' && /cancelled the consumer/.test(e.error.message)) cancelled.push(e.error.message);
  });
  await Promise.all([agent.connect(), client.connect()]);
  agent.serve({ subject: 'freeswitch.api', competing: true }, (req) => enc(`served ${dec(req.data)}`));
  const seen = new Collector<string>();
  agent.subscribe('freeswitch.events.>', (m) => seen.push(dec(m.data)), { queue: 'billing' });
  await agent.flush();
  assert.equal(dec((await client.request('freeswitch.api', enc('before'), { timeoutMs: 10_000 })).data), 'served before');

  await deleteQueues('freeswitch.api', 'billing|freeswitch.events.>');
  const said = await cancelled.until(2);
  assert.ok(said.some((m) => m.includes('freeswitch.api')) && said.some((m) => m.includes('billing')), said.join(' / '));
  await agent.flush(); // the consumers' set-up runs in order with flush()
  assert.equal(agent.status, 'connected');
  assert.equal(dec((await client.request('freeswitch.api', enc('after'), { timeoutMs: 10_000 })).data), 'served after');
  client.publish('freeswitch.events.channel.answer', enc('event after'));
  await client.flush();
  assert.deepEqual(await seen.until(1), ['event after']);
});
