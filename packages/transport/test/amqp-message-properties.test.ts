// The AMQP properties the driver sets on what it publishes (drivers/amqp/amqp-driver.ts): a JSON
// body (every contract body: event, reply, request) says `content_type: application/json`, as
// mod_amqp says `text/json` — RabbitMQ's management UI, shovels and consumers that decode by content
// type (Spring AMQP's Jackson converter) rely on it —, and every publish carries the AMQP
// `timestamp` (whole seconds) of its send. A body that is not JSON claims no content type.
// Real RabbitMQ, read with a plain amqplib client.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, type ConsumeMessage } from 'amqplib';
import { createDriver } from '@fsbus/transport';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { Collector, enc } from './conformance/helpers.js';

let rabbit: RabbitMqHandle;
before(async () => {
  rabbit = await startRabbitMq();
});
after(() => rabbit.stop());

const seconds = (): number => Math.floor(Date.now() / 1000);

void test('amqp: events, replies and requests with a JSON body carry content_type application/json and the AMQP timestamp; a body that is not JSON no content type', { timeout: 60_000 }, async () => {
  const url = `amqp://guest:guest@127.0.0.1:${rabbit.port}`;
  const agent = await createDriver('amqp', { urls: [url], name: 'properties-agent' });
  const raw = await connect(url);
  try {
    await agent.connect();
    agent.serve({ subject: 'freeswitch.api', competing: true }, () => enc('{"success":true}'));
    await agent.flush();
    const ch = await raw.createConfirmChannel();
    const events = new Collector<ConsumeMessage>();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'freeswitch', 'freeswitch.events.#');
    await ch.consume(queue, (m) => m !== null && events.push(m), { noAck: true });
    // A lane the plain client serves: the driver's own request lands there.
    const requests = new Collector<ConsumeMessage>();
    const lane = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(lane.queue, 'freeswitch', 'freeswitch.node.raw');
    await ch.consume(lane.queue, (m) => m !== null && requests.push(m), { noAck: true });
    const replies = new Collector<ConsumeMessage>();
    await ch.consume('amq.rabbitmq.reply-to', (m) => m !== null && replies.push(m), { noAck: true });

    const from = seconds();
    agent.publish('freeswitch.events.channel.answer', enc('{"event_name":"CHANNEL_ANSWER","uuid":"u-1"}'));
    agent.publish('freeswitch.events.custom.text', enc('not json'));
    ch.publish('freeswitch', 'freeswitch.api', Buffer.from('{"command":"status"}'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'c-1' });
    await ch.waitForConfirms();
    void agent.request('freeswitch.node.raw', enc('{"command":"status"}'), { timeoutMs: 30_000 }).catch(() => undefined);
    await events.until(2);
    await replies.until(1);
    await requests.until(1);
    const to = seconds();

    const [json, text] = events.items;
    const reply = replies.items[0]!;
    const request = requests.items[0]!;
    for (const [what, m] of [['event', json!], ['reply', reply], ['request', request]] as const) {
      assert.equal(m.properties.contentType, 'application/json', what);
      assert.equal(typeof m.properties.timestamp, 'number', what);
      const ts = m.properties.timestamp as number;
      assert.ok(ts >= from && ts <= to, `${what}: timestamp ${ts} not in [${from}, ${to}]`);
    }
    assert.equal(reply.properties.correlationId, 'c-1');
    assert.equal(text!.properties.contentType, undefined);
    assert.equal(typeof text!.properties.timestamp, 'number');
  } finally {
    await raw.close();
    await agent.close();
  }
});
