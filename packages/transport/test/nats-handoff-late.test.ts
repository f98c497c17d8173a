// A node hand-off (`forward()`) made while the forwarding driver is cut off from nats-server waits
// in its outbox. NATS carries no deadline with a request, so the forwarder's own bound decides:
// past it the hand-off is dropped and counted (expired) when the link is back, not run late — a
// late originate would ring for a caller who gave up. One within its bound still goes.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver } from '@fsbus/transport';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { dec, enc, waitStatus } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

let nats: NatsServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(() => nats.stop());

void test('nats: a hand-off buffered past its bound is dropped when the link is back, one within it still goes', { timeout: 60_000 }, async () => {
  const relay = await startRelay(Number(new URL(nats.url).port));
  const forwarder = await createDriver('nats', { urls: [relay.url(nats.url)], name: 'forwarder' });
  const nodeB = await createDriver('nats', { urls: [nats.url], name: 'node-b' });
  const client = await createDriver('nats', { urls: [nats.url], name: 'client' });
  try {
    await Promise.all([forwarder.connect(), nodeB.connect(), client.connect()]);
    const ranOnB: string[] = [];
    let wake: (() => void) | undefined;
    nodeB.serve({ subject: 'freeswitch.node.b', competing: false }, (req) => {
      ranOnB.push(dec(req.data));
      wake?.();
      return undefined;
    });
    forwarder.serve({ subject: 'freeswitch.api', competing: true }, async (req) => {
      const body = dec(req.data);
      if (body === 'late') {
        // Cut off before handing it on: the hand-off waits in the outbox, its 1 ms bound runs out there.
        await relay.cut();
        await waitStatus(forwarder, 'reconnecting');
        req.forward('freeswitch.node.b', { timeoutMs: 1 });
        await relay.restore();
      } else req.forward('freeswitch.node.b', { timeoutMs: 60_000 });
      return undefined;
    });
    await Promise.all([nodeB.flush(), forwarder.flush()]);
    client.publish('freeswitch.api', enc('late'));
    await waitStatus(forwarder, 'reconnecting');
    await waitStatus(forwarder, 'connected');
    // Sent after whatever the reconnect flushed: had the late one gone, B would have run it first.
    const ranAfter = new Promise<void>((resolve) => (wake = () => ranOnB.includes('after') && resolve()));
    client.publish('freeswitch.api', enc('after'));
    await ranAfter;
    assert.deepEqual(ranOnB, ['after']);
    assert.equal(forwarder.stats().expired, 1);
  } finally {
    await client.close();
    await nodeB.close();
    await forwarder.close();
    await relay.close();
  }
});
