// Events publish() reported 'sent' that the ZeroMQ driver's PUB writer pushes out of its full queue
// are handed back to their publisher (PublishOptions.onDroppedAfterSend) with their subject and
// bytes, and counted once. Before, the writer only counted them, and the agent took them for its
// buffer's drops (no hangups, no event-id range).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { freePort } from '@fsbus/testkit';
import { createDriver, type PublishOutcome } from '@fsbus/transport';
import { dec, enc } from './conformance/helpers.js';

const BUFFER = 4;

void test("zmq: events pushed out of the PUB writer's full queue after publish() said sent are handed back once, with their subjects, and counted once", { timeout: 30_000 }, async (t) => {
  const commands = await freePort();
  const events = await freePort();
  // start_grace=0: no start hold (zmq-restart.test.ts), the writer sends the first at once.
  const agent = await createDriver('zmq', { urls: [`zmq://127.0.0.1:${commands}?events=${events}&start_grace=0`], name: 'evict-agent', bufferMessages: BUFFER });
  t.after(() => agent.close());
  await agent.connect();
  // Serving binds the agent side: its events go out on the PUB socket.
  agent.serve({ subject: 'freeswitch.api', competing: true }, () => enc('ok'));
  await agent.flush();
  const told: Array<[string, string, number | undefined]> = [];
  const onDroppedAfterSend = (subject: string, data: Uint8Array, lossMark?: number): void => void told.push([subject, dec(data), lossMark]);
  // One tick: the writer sends the first and queues BUFFER more; each one after pushes the oldest out.
  const outcomes: PublishOutcome[] = [];
  for (let i = 0; i < 10; i++) outcomes.push(agent.publish(`freeswitch.events.e${i}`, enc(`e${i}`), { onDroppedAfterSend, lossMark: 1000 + i }));
  assert.deepEqual(outcomes, Array<PublishOutcome>(10).fill('sent'));
  await agent.flush();
  // The bytes and the publisher's lossMark.
  assert.deepEqual(told, [1, 2, 3, 4, 5].map((i) => [`freeswitch.events.e${i}`, `e${i}`, 1000 + i]));
  const { published, dropped } = agent.stats();
  assert.deepEqual({ published, dropped }, { published: 10 - 5, dropped: 5 });
});
