// A durable stream closed from outside (a SIGTERM handler calling close(), bus.close(), an abort)
// while the loop is handling an event lets the loop finish it: the event is acknowledged when the
// loop asks for the next one (which then ends the iteration) or calls stream.ack(), so the next
// start with the same durable name does not get it again (billed twice). A loop that leaves
// (throw, `break`) does not acknowledge it. Events are published straight into the agent's stream
// on a real nats-server.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect, type EventStream, type FsbusClient } from '../src/index.js';
import { first, startDurableBroker, type DurableBroker } from './support/durable-stream.js';

void describe('durable event streams: closed from outside while an event is in hand', () => {
  let broker: DurableBroker;
  let bus: FsbusClient;
  before(async () => {
    broker = await startDurableBroker(['a', 'b', 'c', 'd', 'e']);
    bus = await connect({ servers: broker.nats.url });
  });
  after(async () => {
    await bus?.close();
    await broker?.stop();
  });

  const open = (): EventStream => bus.events('custom.x', { durable: 'billing' });

  void it('ack() after close() acknowledges the event in hand: the next start does not get it again', async () => {
    const stopping = open();
    assert.equal((await first(stopping)).uuid, 'a');
    // SIGTERM while the CDR of `a` is being written; the write completes, then the loop acks.
    const closed = stopping.close();
    stopping.ack();
    await closed;
    // Unsubscribed (what bus.close() waits for) before the same durable is opened again.
    await stopping.closeAndWait();
    assert.equal((await stopping.next()).done, true, 'the closed stream hands out nothing more');

    const next = open();
    assert.equal((await first(next)).uuid, 'b', 'the event acknowledged after close() came again');
    next.ack();
    await next.close();
  });

  void it('the for-await loop finishing its turn after close() acknowledges the event and ends', async () => {
    const stopping = open();
    const seen: string[] = [];
    let closed: Promise<void> | undefined;
    for await (const e of stopping) {
      seen.push(e.uuid!);
      // The signal handler runs while this event is handled; the loop goes on to its next turn.
      closed = stopping.close();
    }
    assert.deepEqual(seen, ['c'], 'the loop ended after the event in hand');
    await closed;
    // Unsubscribed (what `await bus.close()` after the loop waits for) before the durable is opened again.
    await stopping.closeAndWait();

    const next = open();
    assert.equal((await first(next)).uuid, 'd', 'the event handled while closing came again');
    // Leaves it unacknowledged, as break does.
    await next.return();
  });

  void it('a loop that throws after close() does not acknowledge the event in hand', async () => {
    const stopping = open();
    await assert.rejects(async () => {
      for await (const e of stopping) {
        assert.equal(e.uuid, 'd');
        void stopping.close();
        throw new Error('the billing write failed');
      }
    }, /billing write failed/);

    const next = open();
    assert.equal((await first(next)).uuid, 'd', 'an event whose handling threw is delivered again');
    await next.return();
  });

  void it('close() awaited inside the loop body returns at once; the next turn acknowledges the event and ends', async () => {
    const stopping = open();
    const seen: string[] = [];
    for await (const e of stopping) {
      seen.push(e.uuid!);
      // The loop itself closes: not made to wait for its own next turn.
      await stopping.close();
    }
    assert.deepEqual(seen, ['d']);
    await stopping.closeAndWait();

    const next = open();
    assert.equal((await first(next)).uuid, 'e', 'the event handled when the loop closed came again');
    await next.return();
  });
});
