// How an event stream ends when it is not closed by its reader: a driver closed for good under
// the open client fails it as requests fail (not a next() pending forever), and a stream that
// never opened lets go of the caller's signal (one signal shared by retries must not collect a
// listener per failed stream).
import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { ClientErrorCode, connect } from '../src/index.js';

void describe('@fsbus/client event streams that end on their own', () => {
  let nats: NatsServerHandle;
  before(async () => {
    nats = await startNatsServer({ jetstream: false });
  });
  after(() => nats.stop());

  void it('a driver given to connect() and closed by its owner fails the open stream with DISCONNECTED', async () => {
    const driver = await createDriver('nats', { urls: [nats.url], name: 'owned-elsewhere' });
    await driver.connect();
    const bus = await connect({ driver });
    try {
      const stream = bus.events('channel.>');
      await stream.ready;
      const next = assert.rejects(stream.next(), { code: ClientErrorCode.DISCONNECTED, message: 'events: the broker connection was lost (closed)' });
      await driver.close();
      // Ended by the driver's 'closed' status, which close() reports before it resolves.
      assert.equal(stream.closed, true);
      await next;
      await assert.rejects(bus.api('status'), { code: ClientErrorCode.DISCONNECTED });
    } finally {
      await bus.close();
    }
  });

  void it('a stream that fails to open removes its listener from the caller signal', async () => {
    const bus = await connect({ servers: nats.url });
    const controller = new AbortController();
    try {
      for (let i = 0; i < 3; i++) {
        // No JetStream on this server: the durable consumer is refused.
        const stream = bus.events('channel.>', { durable: 'billing', signal: controller.signal });
        await assert.rejects(stream.next(), { code: ClientErrorCode.STREAM });
        assert.equal(getEventListeners(controller.signal, 'abort').length, 0, `after failed stream ${i + 1}`);
      }
    } finally {
      await bus.close();
    }
  });
});
