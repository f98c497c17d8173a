// A fire-and-forget command (`<p>.cmd.async.<cmd>`, or a request lane used without a reply) runs
// on arrival: when the connection dies before the broker confirmed it, the AMQP driver must not
// send it again (an async originate would ring twice). Events still go again (at least once).
// Real RabbitMQ; the relay holds the broker's confirms, then cuts the client's connection.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver } from '@fsbus/transport';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { Collector, dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

let rabbit: RabbitMqHandle;
before(async () => {
  rabbit = await startRabbitMq();
});
after(() => rabbit.stop());

for (const [what, lane, subject] of [
  ['async lane', { subject: 'freeswitch.cmd.async.>', competing: true, group: 'freeswitch.cmd.async' }, 'freeswitch.cmd.async.originate'],
  ['node lane without a reply', { subject: 'freeswitch.node.n2', competing: false }, 'freeswitch.node.n2'],
] as const) {
  void test(`amqp: a fire-and-forget command on the ${what} whose confirm was lost runs once`, { timeout: 60_000 }, async () => {
    const url = `amqp://guest:guest@127.0.0.1:${rabbit.port}`;
    const server = await createDriver('amqp', { urls: [url], name: 'once-server' });
    const relay = await startRelay(rabbit.port);
    const client = await createDriver('amqp', { urls: [relay.url(url)], name: 'once-client' });
    try {
      await server.connect();
      const ran = new Collector<string>();
      server.serve(lane, (req) => {
        ran.push(dec(req.data));
        return undefined;
      });
      await server.flush();
      await client.connect();
      client.publish(subject, enc('warm'));
      await ran.until(1);
      relay.holdAnswers();
      assert.equal(client.publish(subject, enc('ONCE')), 'sent');
      await ran.until(2);
      await relay.cut();
      await waitStatus(client, 'reconnecting');
      await relay.restore();
      await waitStatus(client, 'connected');
      // Sent after whatever the reconnect flushed from the outbox, on the same queue: once it ran, a copy would have too.
      client.publish(subject, enc('after'));
      await ran.until(3);
      assert.deepEqual(ran.items, ['warm', 'ONCE', 'after']);
    } finally {
      await client.close();
      await server.close();
      await relay.close();
    }
  });
}
