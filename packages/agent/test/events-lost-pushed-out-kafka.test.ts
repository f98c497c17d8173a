// Real Kafka, frozen (SIGSTOP) with a produce in flight: the link still looks connected, so what is
// published waits in the driver's bounded send queue, and a newer event pushes the oldest out. That
// one never left: the agent's line must say so — pushed out of the full send buffer before it was
// sent, not delivered — not "sent but not confirmed by the broker … possibly delivered", the line of
// what the broker failed or a lost connection took unconfirmed (counted the same: events_dropped).
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { EVENTS_PUSHED_OUT_LOG } from '../src/buffered-loss.js';
import { kafkaLossRig } from './support/kafka-loss-rig.js';

const BUFFER = 4;
const HANGUP = 'CHANNEL_HANGUP_COMPLETE';

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

void test('kafka: an event pushed out of the full send queue while connected is logged as never sent, not as possibly delivered', { timeout: 300_000 }, async (t) => {
  const { driver, lines, send } = await kafkaLossRig(t, kafka, { name: 'pushed-out', bufferMessages: BUFFER });
  send('HEARTBEAT', 10);
  await driver.flush();
  await kafka.pause();
  // In flight to the frozen broker: the send loop took it out of the queue.
  send('HEARTBEAT', 1000);
  while (driver.stats().pending > 0) await new Promise((resolve) => setImmediate(resolve));
  send(HANGUP, 2001);
  for (const ts of [2002, 2003, 2004]) send('HEARTBEAT', ts);
  // Pushes the hangup out of the full send queue, never produced.
  send('HEARTBEAT', 3000);
  assert.equal(driver.status, 'connected');
  assert.equal(driver.stats().dropped, 1);
  const said = lines.filter((l) => l['level'] === 50).map((l) => ({ msg: l['msg'], events_dropped: l['events_dropped'], hangups_dropped: l['hangups_dropped'], buffer_messages: l['buffer_messages'] }));
  assert.equal(said.length, 1, JSON.stringify(said));
  assert.doesNotMatch(String(said[0]!.msg), /possibly delivered|not confirmed/, 'not the line of events that may have arrived');
  assert.match(String(said[0]!.msg), /pushed out of the full send buffer before (they were|it was) sent/);
  assert.match(String(said[0]!.msg), /not delivered/);
  assert.match(String(said[0]!.msg), /counted in events_dropped/);
  assert.equal(said[0]!.msg, EVENTS_PUSHED_OUT_LOG);
  // The drop's own facts, and the bound to raise.
  assert.deepEqual({ events_dropped: said[0]!.events_dropped, hangups_dropped: said[0]!.hangups_dropped, buffer_messages: said[0]!.buffer_messages }, { events_dropped: 1, hangups_dropped: 1, buffer_messages: BUFFER });
});
