// An acknowledgement written into a connection that dies is lost: JetStream sends the event again
// after its ack wait, to the same running consumer. A durable stream remembers what it
// acknowledged: such a copy is acknowledged again and not handed to the loop a second time
// (counted in `duplicates`). The loss is real: the client reaches nats-server through a relay that
// cuts the connection, instead of forwarding it, when the client's ack of the event goes out.
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { createInbox } from '@nats-io/transport-node';
import { connect, type FsbusClient } from '../src/index.js';
import { customEvent, startDurableBroker, type DurableBroker } from './support/durable-stream.js';

/**
 * Relays client connections to `port`. `cutAtAck()` arms it: the next client data carrying an ack
 * (+ACK) is not forwarded, the connection is cut instead (the client reconnects through the relay).
 * `acks(n)` resolves once n acks were forwarded.
 */
async function ackCuttingRelay(port: number) {
  let armed: (() => void) | undefined;
  let forwarded = 0;
  let waiters: Array<{ count: number; resolve: () => void }> = [];
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(port, '127.0.0.1');
    open.add(client).add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
    client.on('data', (chunk: Buffer) => {
      const acks = chunk.toString('latin1').split('+ACK').length - 1;
      if (acks > 0 && armed !== undefined) {
        const cut = armed;
        armed = undefined;
        end();
        cut();
        return;
      }
      upstream.write(chunk);
      forwarded += acks;
      waiters = waiters.filter((w) => (forwarded >= w.count ? (w.resolve(), false) : true));
    });
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    cutAtAck: (): Promise<void> => new Promise((resolve) => (armed = resolve)),
    acks: (count: number): Promise<void> => (forwarded >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    get forwarded() {
      return forwarded;
    },
    async stop(): Promise<void> {
      for (const s of open) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

void describe('durable event streams: an acknowledgement lost with its connection', () => {
  let broker: DurableBroker;
  let relay: Awaited<ReturnType<typeof ackCuttingRelay>>;
  let bus: FsbusClient;
  before(async () => {
    broker = await startDurableBroker([]);
    // The durable made beforehand with a short ack wait (1 s), so the lost ack's event comes back
    // soon; the stream takes the consumer as it is.
    const jsm = await jetstreamManager(broker.raw);
    await jsm.consumers.add('FREESWITCH_EVENTS', {
      durable_name: 'billing',
      deliver_subject: createInbox(),
      ack_policy: AckPolicy.Explicit,
      ack_wait: 1_000_000_000,
      filter_subject: 'freeswitch.events.custom.x',
    });
    relay = await ackCuttingRelay(Number(new URL(broker.nats.url).port));
    bus = await connect({ servers: `nats://127.0.0.1:${relay.port}` });
  });
  after(async () => {
    await bus?.close();
    await relay?.stop();
    await broker?.stop();
  });

  void it('the event whose ack was lost comes again to the same consumer: acknowledged again, not handed out twice', async () => {
    const stream = bus.events('custom.x', { durable: 'billing' });
    await stream.ready;
    broker.raw.publish('freeswitch.events.custom.x', customEvent('a'));
    await broker.raw.flush();
    const a = await stream.next();
    assert.equal(a.done, false);
    assert.equal(a.value.uuid, 'a');

    // The loop is done with `a` and asks for the next: its ack goes into the dying connection.
    const cut = relay.cutAtAck();
    const next = stream.next();
    await cut;
    // JetStream sends `a` again after its ack wait, over the new connection: either the stream
    // acknowledges that copy (an ack through the relay) or hands it to the loop.
    const first: string | undefined = await Promise.race([next.then((r) => (r.done === true ? 'the end' : r.value.uuid)), relay.acks(1).then(() => undefined)]);
    assert.equal(first, undefined, `the loop got '${String(first)}' again after acknowledging it`);
    assert.equal(stream.duplicates, 1);

    broker.raw.publish('freeswitch.events.custom.x', customEvent('b'));
    await broker.raw.flush();
    const b = await next;
    assert.equal(b.done, false);
    assert.equal(b.value.uuid, 'b');
    stream.ack();
    await stream.close();
  });
});
