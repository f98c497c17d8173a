// A fire-and-forget command (`<p>.cmd.async.<cmd>`, or a request lane used without a reply) runs
// on arrival: when the connection dies before the broker confirmed it, the AMQP driver must not
// send it again (an async originate would ring twice). Events still go again (at least once).
// Real RabbitMQ; the relay holds the broker's confirms, then cuts the client's connection.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type Driver, type DriverStatus } from '@fsbus/transport';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { startRelay } from './conformance/relay.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

let rabbit: RabbitMqHandle;
before(async () => {
  rabbit = await startRabbitMq();
});
after(() => rabbit.stop());

/** What a handler saw, and a wait for a given payload. */
function seen() {
  const all: string[] = [];
  const waiters: Array<{ text: string; wake: () => void }> = [];
  return {
    all,
    add(text: string) {
      all.push(text);
      for (const w of waiters.filter((x) => x.text === text)) w.wake();
    },
    when: (text: string) => new Promise<void>((wake) => (all.includes(text) ? wake() : waiters.push({ text, wake }))),
  };
}

function status(d: Driver, s: DriverStatus): Promise<void> {
  return new Promise((resolve) => {
    if (d.status === s) return resolve();
    const off = d.on((e) => {
      if (e.type === 'status' && e.status === s) {
        off();
        resolve();
      }
    });
  });
}

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
      const ran = seen();
      server.serve(lane, (req) => {
        ran.add(dec(req.data));
        return undefined;
      });
      await server.flush();
      await client.connect();
      client.publish(subject, enc('warm'));
      await ran.when('warm');
      relay.holdAnswers();
      assert.equal(client.publish(subject, enc('ONCE')), 'sent');
      await ran.when('ONCE');
      await relay.cut();
      await status(client, 'reconnecting');
      await relay.restore();
      await status(client, 'connected');
      // Sent after whatever the reconnect flushed from the outbox, on the same queue: once it ran, a copy would have too.
      client.publish(subject, enc('after'));
      await ran.when('after');
      assert.deepEqual(ran.all, ['warm', 'ONCE', 'after']);
    } finally {
      await client.close();
      await server.close();
      await relay.close();
    }
  });
}
