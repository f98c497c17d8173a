// A durable event stream whose stream's retention removed events before it read them (the
// consumer was down longer than the stream keeps events) is told: it counts a gap in
// `stream.gaps` and calls `onGap` with the lost stream positions, before the events after the
// loss are delivered. Events are published straight into the agent's stream (max 5 messages) on
// a real nats-server.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { connect as natsConnect } from '@nats-io/transport-node';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { connect, type StreamGap } from '../src/index.js';

const event = (uuid: string): Uint8Array =>
  new TextEncoder().encode(JSON.stringify({ event_name: 'CHANNEL_HANGUP_COMPLETE', timestamp: 1, node_id: 'n1', uuid, headers: { 'Event-Name': 'CHANNEL_HANGUP_COMPLETE' } }));

void test('a durable stream reports events its stream removed before it read them: gaps and onGap with the lost positions', async (t) => {
  const nats = await startNatsServer({ jetstream: true });
  t.after(() => nats.stop());
  const setup = await createDriver('nats', { urls: [nats.url] });
  t.after(() => setup.close());
  await setup.connect();
  await setup.ensureStream({ name: 'FREESWITCH_EVENTS', subjects: ['freeswitch.events.>'], storage: 'memory', maxMessages: 5 });
  const raw = await natsConnect({ servers: nats.url });
  t.after(() => raw.close());
  const bus = await connect({ servers: nats.url });
  t.after(() => bus.close());
  const hangups = async (from: number, to: number): Promise<void> => {
    for (let i = from; i <= to; i++) raw.publish('freeswitch.events.channel.hangup.complete', event(`call-${i}`));
    await raw.flush();
  };

  await hangups(1, 2);
  const gaps: StreamGap[] = [];
  const billing = () => bus.events('channel.hangup.complete', { durable: 'billing', onGap: (g) => gaps.push(g) });
  const up = billing();
  const read: string[] = [];
  for await (const e of up) {
    read.push(e.uuid!);
    if (read.length === 2) {
      up.ack();
      break;
    }
  }
  assert.equal(up.gaps, 0);

  // Billing is down: ten more calls end, the stream keeps the last five.
  await hangups(3, 12);
  const back = billing();
  const after: Array<{ uuid: string; sequence: number | undefined; gapsSoFar: number }> = [];
  for await (const e of back) {
    after.push({ uuid: e.uuid!, sequence: e.sequence, gapsSoFar: back.gaps });
    if (after.length === 5) break;
  }
  assert.equal(back.gaps, 1);
  assert.equal(gaps.length, 1);
  assert.deepEqual(gaps[0]!.lost, { from: 3, to: 7, count: 5 });
  assert.ok(gaps[0]!.lostAt instanceof Date && gaps[0]!.restoredAt instanceof Date);
  assert.deepEqual(
    after,
    [8, 9, 10, 11, 12].map((sequence) => ({ uuid: `call-${sequence}`, sequence, gapsSoFar: 1 })),
    'the gap is told before the events after it',
  );
});
