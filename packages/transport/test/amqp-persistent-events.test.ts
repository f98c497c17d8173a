// The AMQP delivery mode of what the driver publishes (drivers/amqp/amqp-driver.ts): transient by
// default; with `persistentSubjects` (the agent's broker.amqp.persistent_events passes
// `<prefix>.events.>`) a publish to a matching subject goes out persistent (delivery_mode 2), so a
// durable queue keeps it across a broker restart — as mod_amqp's `delivery-mode` 2 did. Replies,
// requests and publishes to other subjects (forward_to copies) stay transient.
// Real RabbitMQ, read with a plain amqplib client.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, type ConsumeMessage } from 'amqplib';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { Collector, enc } from './conformance/helpers.js';

let rabbit: RabbitMqHandle;
before(async () => {
  rabbit = await startRabbitMq();
});
after(() => rabbit.stop());

void test('amqp: persistentSubjects makes matching publishes persistent (delivery_mode 2); replies, requests and other subjects stay transient, as does everything without it', { timeout: 60_000 }, async () => {
  const url = `amqp://guest:guest@127.0.0.1:${rabbit.port}`;
  const persistent = await createDriver('amqp', { urls: [url], name: 'persistent-agent', persistentSubjects: ['freeswitch.events.>'] });
  const plain = await createDriver('amqp', { urls: [url], name: 'plain-agent' });
  const raw = await connect(url);
  try {
    await persistent.connect();
    await plain.connect();
    persistent.serve({ subject: 'freeswitch.api', competing: true }, () => enc('{"success":true}'));
    await persistent.flush();
    const ch = await raw.createConfirmChannel();
    const consume = async (key: string): Promise<Collector<ConsumeMessage>> => {
      const got = new Collector<ConsumeMessage>();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, 'freeswitch', key);
      await ch.consume(queue, (m) => m !== null && got.push(m), { noAck: true });
      return got;
    };
    const events = await consume('freeswitch.events.#');
    const copies = await consume('fwd.#');
    const requests = await consume('freeswitch.node.raw');
    const replies = new Collector<ConsumeMessage>();
    await ch.consume('amq.rabbitmq.reply-to', (m) => m !== null && replies.push(m), { noAck: true });

    persistent.publish('freeswitch.events.channel.answer', enc('{"event_name":"CHANNEL_ANSWER"}'));
    plain.publish('freeswitch.events.channel.hangup', enc('{"event_name":"CHANNEL_HANGUP"}'));
    persistent.publish('fwd.copy', enc('{"success":true}'));
    ch.publish('freeswitch', 'freeswitch.api', Buffer.from('{"command":"status"}'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'c-1' });
    await ch.waitForConfirms();
    void persistent.request('freeswitch.node.raw', enc('{"command":"status"}'), { timeoutMs: 30_000 }).catch(() => undefined);
    await events.until(2);
    await copies.until(1);
    await replies.until(1);
    await requests.until(1);

    const mode = (m: ConsumeMessage | undefined): unknown => m?.properties.deliveryMode;
    const byKey = (key: string) => events.items.find((m) => m.fields.routingKey === key);
    assert.deepEqual(
      {
        event: mode(byKey('freeswitch.events.channel.answer')),
        eventWithout: mode(byKey('freeswitch.events.channel.hangup')),
        copy: mode(copies.items[0]),
        reply: mode(replies.items[0]),
        request: mode(requests.items[0]),
      },
      { event: 2, eventWithout: undefined, copy: undefined, reply: undefined, request: undefined },
    );
  } finally {
    await raw.close();
    await persistent.close();
    await plain.close();
  }
});

void test('amqp: a persistentSubjects entry that is not a subject pattern is refused when the driver is created', async () => {
  await assert.rejects(
    async () => createDriver('amqp', { urls: ['amqp://127.0.0.1:1'], persistentSubjects: ['freeswitch.events.#'] }),
    (err: { code?: string; message?: string }) => err.code === TransportErrorCode.INVALID_OPTION && /persistentSubjects/.test(err.message ?? ''),
  );
});
