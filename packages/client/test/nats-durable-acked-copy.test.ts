// A copy of an event this durable stream acknowledged may come back with a delivery count of 1:
// nats-server killed (SIGKILL) before it wrote the consumer's state sends again from the older
// state it kept, as if for the first time (the reviewer's billing consumer got the same stream
// sequence twice, both `delivered` 1, and billed it twice). On NATS a stream sequence is never
// used for another message while the stream lives, so such a copy is dropped (acknowledged
// again, counted in `duplicates`) whatever its delivery count. A SIGKILL that loses the state
// cannot be timed without guessing, so the replay is made by hand over the real broker: the
// consumer is deleted and made again under the same name, on the same deliver subject, from the
// stream's first message — the server sends the acknowledged events again, each with delivery
// count 1, to the running consumer.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { AckPolicy, DeliverPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { createInbox } from '@nats-io/transport-node';
import { connect, type FsbusClient } from '../src/index.js';
import { customEvent, first, startDurableBroker, type DurableBroker } from './support/durable-stream.js';

void describe('durable event streams on NATS: a copy of an acknowledged event sent with delivery count 1', () => {
  let broker: DurableBroker;
  let jsm: JetStreamManager;
  let bus: FsbusClient;
  const deliverSubject = createInbox();
  const consumer = {
    durable_name: 'billing',
    deliver_subject: deliverSubject,
    ack_policy: AckPolicy.Explicit,
    filter_subject: 'freeswitch.events.custom.x',
  };
  before(async () => {
    broker = await startDurableBroker(['a', 'b', 'c']);
    jsm = await jetstreamManager(broker.raw);
    await jsm.consumers.add('FREESWITCH_EVENTS', consumer);
    bus = await connect({ servers: broker.nats.url });
  });
  after(async () => {
    await bus?.close();
    await broker?.stop();
  });

  void it('is acknowledged again, not handed to the loop a second time', async () => {
    const stream = bus.events('custom.x', { durable: 'billing' });
    await stream.ready;
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push((await first(stream)).uuid!);
    assert.deepEqual(got, ['a', 'b', 'c']);
    stream.ack();
    // The server has the three acks (a round trip on the same connection behind them).
    for (let i = 0; i < 100; i++) {
      await bus.driver.flush();
      if ((await jsm.consumers.info('FREESWITCH_EVENTS', 'billing')).ack_floor.stream_seq === 3) break;
    }
    assert.equal((await jsm.consumers.info('FREESWITCH_EVENTS', 'billing')).ack_floor.stream_seq, 3);

    // The server forgets what the consumer acknowledged: it sends a, b, c again, delivery count 1.
    await jsm.consumers.delete('FREESWITCH_EVENTS', 'billing');
    await jsm.consumers.add('FREESWITCH_EVENTS', { ...consumer, deliver_policy: DeliverPolicy.All });
    broker.raw.publish('freeswitch.events.custom.x', customEvent('d'));
    await broker.raw.flush();
    // Sent in stream order: the copies come before `d`.
    const next = await first(stream);
    assert.equal(next.uuid, 'd', `the loop got '${String(next.uuid)}' again after acknowledging it`);
    assert.equal(stream.duplicates, 3);
    stream.ack();
    await stream.close();
  });
});
