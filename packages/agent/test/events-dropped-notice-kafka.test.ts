// Real Kafka, frozen (SIGSTOP) with a produce in flight: the link still looks connected, so what is
// published waits in the driver's bounded send queue, and a newer event pushes the oldest out,
// handed back as failed after send. Telling that loss publishes fsbus::events_dropped into the
// same full queue. Before, it pushed out the next event, that drop was told from inside the
// announcement (its window not started yet): one notice per event, each pushing out the next,
// until the queue held only notices, the first pushed out with the loss it told. Now the notice
// is never pushed out for room (nor pushes an event out), and a drop an announcement causes waits
// for the next one.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { OWN_EVENT_DROPPED_AFTER_SEND_LOG } from '../src/buffered-loss.js';
import { kafkaLossRig } from './support/kafka-loss-rig.js';

const BUFFER = 4;
const HANGUP = 'CHANNEL_HANGUP_COMPLETE';

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

void test('kafka: a loss told into a full send queue is one notice, and the notice is not pushed out for room', { timeout: 300_000 }, async (t) => {
  const { driver, lines, publisher, told, send } = await kafkaLossRig(t, kafka, { name: 'notice-evicted', bufferMessages: BUFFER, tellLoss: true });
  // The topic exists and is known: the produce below goes out without a metadata round trip.
  send('HEARTBEAT', 10);
  await driver.flush();
  await kafka.pause();
  // In flight to the frozen broker: the send loop took it out of the queue.
  send('HEARTBEAT', 1000);
  while (driver.stats().pending > 0) await new Promise((resolve) => setImmediate(resolve));
  // The queue full: a hangup oldest.
  send(HANGUP, 2001);
  for (const ts of [2002, 2003, 2004]) send('HEARTBEAT', ts);
  assert.equal(driver.status, 'connected');
  // Pushes the hangup out: told (nothing told before), the notice pushing out 2002 in turn.
  send('HEARTBEAT', 3000);
  assert.deepEqual(told, [{ count: 1, hangups: 1, sinceUs: 2001, untilUs: 2001 }], 'one notice, not one per event it pushes out');
  // Within the window nothing more is told; four more push out the four events, not the notice.
  for (const ts of [3001, 3002, 3003, 3004]) send('HEARTBEAT', ts);
  assert.equal(told.length, 1);
  assert.deepEqual(publisher.takeLoss(), { count: 4, hangups: 0, sinceUs: 2002, untilUs: 3000 });
  assert.deepEqual(lines.filter((l) => l['msg'] === OWN_EVENT_DROPPED_AFTER_SEND_LOG), [], 'the notice is not pushed out');
  assert.equal(driver.status, 'connected');
  assert.equal(driver.stats().dropped, 5);
});
