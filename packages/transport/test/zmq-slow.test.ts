/**
 * A subscriber that is connected but never reads (a hung consumer), next to a healthy one:
 *  - `slow=hold` (the default): the PUB waits for the hung one (ZMQ_XPUB_NODROP), so the healthy
 *    one stops getting events too; the loss ends in the writer's queue, counted and handed back;
 *  - `slow=drop`: libzmq drops the hung one's events at its high-water mark (uncounted: the agent
 *    cannot see it) and the healthy one gets every event.
 * Driven by counts: batches go out until the hung SUB's pipe (PUB_HWM + socket buffers) has had far
 * more than it holds; each batch waits for the healthy SUB to have it all, or for a drop reported.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setImmediate as tick } from 'node:timers/promises';
import { Subscriber } from 'zeromq';
import { freePort } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { PUB_HWM } from '../src/drivers/zmq/zmq-server.js';
import { enc } from './conformance/helpers.js';

const BATCH = 200;
/** Yield to the writer this often: it must never have more queued than bufferMessages unless the PUB waits. */
const YIELD_EVERY = 20;
const BUFFER_MESSAGES = 50;
const PAYLOAD = enc(JSON.stringify({ event_name: 'CUSTOM', headers: { 'Event-Name': 'CUSTOM' }, body: 'x'.repeat(1000) }));
/** ~1 KB each: PUB_HWM in the pipe plus up to 4 MB of TCP send buffer, three times over (whole batches). */
const TOTAL = Math.ceil((3 * (PUB_HWM + 4096)) / BATCH) * BATCH;

async function subscribed(sub: Subscriber, marker: string): Promise<void> {
  sub.subscribe(marker);
  for (;;) {
    const [topic] = await sub.receive();
    if (topic?.toString() === marker) return;
  }
}

async function run(slow: 'hold' | 'drop'): Promise<{ outcome: 'all delivered' | 'held'; healthy: number; dropped: number }> {
  const events = await freePort();
  const url = `zmq://127.0.0.1:${await freePort()}?events=${events}&slow=${slow}`;
  const agent = await createDriver('zmq', { urls: [url], name: 'agent', bufferMessages: BUFFER_MESSAGES });
  // Never reads after its marker: a small receive queue and kernel buffer, so its pipe fills early.
  const hung = new Subscriber({ linger: 0, receiveHighWaterMark: 1, receiveBufferSize: 4096 });
  const healthy = new Subscriber({ linger: 0 });
  let droppedAfterSend = 0;
  let held: (() => void) | undefined;
  const onDroppedAfterSend = (): void => {
    droppedAfterSend++;
    held?.();
  };
  try {
    await agent.connect();
    agent.serve({ subject: 't.api', competing: true }, () => enc('ok'));
    await agent.flush();
    hung.connect(`tcp://127.0.0.1:${events}`);
    hung.subscribe('t.events.');
    await subscribed(hung, '$fsbus.sub.hung');
    healthy.connect(`tcp://127.0.0.1:${events}`);
    healthy.subscribe('t.events.');
    await subscribed(healthy, '$fsbus.sub.healthy');
    let got = 0;
    let want = 0;
    let wake: (() => void) | undefined;
    void (async () => {
      for await (const [topic] of healthy) {
        if (topic?.toString().startsWith('t.events.') === true) got++;
        if (got >= want) wake?.();
      }
    })().catch(() => undefined);
    while (want < TOTAL) {
      want += BATCH;
      const outcome = new Promise<'batch' | 'held'>((resolve) => {
        wake = () => got >= want && resolve('batch');
        held = () => resolve('held');
      });
      for (let i = 0; i < BATCH; i++) {
        agent.publish('t.events.tick', PAYLOAD, { onDroppedAfterSend });
        if (i % YIELD_EVERY === YIELD_EVERY - 1) await tick();
      }
      wake?.();
      if ((await outcome) === 'held') return { outcome: 'held', healthy: got, dropped: droppedAfterSend };
    }
    return { outcome: 'all delivered', healthy: got, dropped: droppedAfterSend };
  } finally {
    // The hung SUB first: with slow=hold the PUB waits for it, and close() flushes the PUB.
    hung.close();
    healthy.close();
    await agent.close();
  }
}

void test('zmq slow=drop: a SUB that never reads does not stop a healthy SUB from getting every event', async () => {
  const r = await run('drop');
  assert.deepEqual(r, { outcome: 'all delivered', healthy: TOTAL, dropped: 0 });
});

void test('zmq slow=hold (the default): a SUB that never reads holds the others back; the loss is counted', async () => {
  const r = await run('hold');
  assert.equal(r.outcome, 'held');
  assert.ok(r.healthy < TOTAL && r.dropped > 0, JSON.stringify(r));
});
