// A durable event stream acknowledges an event once the loop is done with it — when the loop asks
// for the next one, or calls stream.ack() — not when it is handed out: the event a loop was
// handling when it stopped (crashed, threw, `break`) is delivered again on the next start with the
// same durable name (closed from outside, the stream first lets the loop finish it:
// durable-close-in-hand.test.ts). Events are published straight into the agent's stream on a real
// nats-server.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect, type EventStream, type FsbusClient } from '../src/index.js';
import { first, startDurableBroker, type DurableBroker } from './support/durable-stream.js';

void describe('durable event streams: at least once', () => {
  let broker: DurableBroker;
  let bus: FsbusClient;
  before(async () => {
    broker = await startDurableBroker(['a', 'b', 'c']);
    bus = await connect({ servers: broker.nats.url });
  });
  after(async () => {
    await bus?.close();
    await broker?.stop();
  });

  const open = (): EventStream => bus.events('custom.x', { durable: 'billing' });

  void it('the event being handled when the loop stops comes again; asking for the next acknowledges it', async () => {
    const crashed = open();
    assert.equal((await first(crashed)).uuid, 'a');
    // The loop stops while writing `a` (as a throw out of for-await does): it never asked for the next one.
    await crashed.return();

    const again = open();
    const seen: string[] = [];
    for await (const e of again) {
      seen.push(e.uuid!);
      if (e.uuid === 'b') break;
    }
    assert.deepEqual(seen, ['a', 'b'], 'the event being handled at the stop is delivered again');
  });

  void it('break and a throw out of the loop leave the last event unacknowledged; stream.ack() acknowledges it', async () => {
    // `b` was the last of a loop that ended with break: not acknowledged, so it comes first.
    const throwing = open();
    await assert.rejects(async () => {
      for await (const e of throwing) {
        assert.equal(e.uuid, 'b');
        throw new Error('the billing write failed');
      }
    }, /billing write failed/);

    const acking = open();
    for await (const e of acking) {
      assert.equal(e.uuid, 'b', 'an event whose handling threw is delivered again');
      acking.ack();
      break;
    }

    const last = open();
    assert.equal((await first(last)).uuid, 'c', 'ack() before break acknowledged `b`');
    await last.return();
  });
});
