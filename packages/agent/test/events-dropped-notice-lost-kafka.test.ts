// Real Kafka, frozen (SIGSTOP) with the agent's fsbus::events_dropped in flight: the liveness check
// takes the link for dead and the notice goes back to the outbox with what was in flight. Events
// buffered while the broker stays away must not push it out for room there: it is carried, as in
// the send queue, and reaches the topic after the reconnect, before the next outage's notice.
// Before, it went back as an ordinary record, the outbox's bound pushed it out ("the agent's own
// event failed at the broker after it was sent: dropped, not told again"): the loss it announced
// was never announced.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload } from '@fsbus/contract';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import type { DurableMessage } from '@fsbus/transport';
import { OWN_EVENT_DROPPED_AFTER_SEND_LOG } from '../src/buffered-loss.js';
import { kafkaLossRig } from './support/kafka-loss-rig.js';
import { timedEvent } from './support/timed-event.js';
import { waitStatus } from '../../transport/test/conformance/helpers.js';

const BUFFER = 4;
const BUFFER_BYTES = 16 * 1024;
const NOTICE = 'fsbus::events_dropped';
const STREAM = 'NOTICE_LOST_EVENTS';
/** Short, as the test waits for the frozen broker to be noticed (two intervals; the default's are 20 s). */
const LIVENESS_MS = 2000;

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

void test('kafka: a notice in flight when the link is lost stays carried in the outbox, never pushed out for room', { timeout: 300_000 }, async (t) => {
  const { driver, subjects, lines, lost, publisher, told, send } = await kafkaLossRig(t, kafka, { name: 'notice-lost', bufferMessages: BUFFER, bufferBytes: BUFFER_BYTES, tellLoss: true, livenessIntervalMs: LIVENESS_MS });
  await driver.ensureStream({ name: STREAM, subjects: [subjects.eventsWildcard] });
  // As the agent: the reconnect tells what was dropped meanwhile.
  driver.on((e) => {
    if (e.type === 'status' && e.status === 'connected') lost.tell();
  });
  // The topic exists and is known.
  send('HEARTBEAT', 10);
  await driver.flush();
  await kafka.pause();
  // Larger than the buffer: dropped at once (a loss to tell), the link still 'connected'.
  const big = timedEvent('HEARTBEAT', 500);
  big.headers.set('Big', 'x'.repeat(2 * BUFFER_BYTES));
  publisher.onEvent(big as never);
  // Sent at once: tells the loss; the notice goes out ahead of it, in flight to the frozen broker.
  send('HEARTBEAT', 1000);
  assert.deepEqual(told, [{ count: 1, hangups: 0, sinceUs: 500, untilUs: 500 }]);
  await waitStatus(driver, 'reconnecting', 180_000);
  // The produce is given up (the driver closes the producer it took for dead: the library's retry
  // does not wait out its timeout): the notice and 1000 go back to the outbox.
  while (driver.stats().pending < 2) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(driver.stats().pending, 2);
  // The second outage: five buffered, more than the outbox holds besides the notice and 1000.
  for (const ts of [2001, 2002, 2003, 2004, 2005]) send('HEARTBEAT', ts);
  assert.deepEqual(lines.filter((l) => l['msg'] === OWN_EVENT_DROPPED_AFTER_SEND_LOG), [], 'the notice handed back is not pushed out for room');
  kafka.resume();
  await waitStatus(driver, 'connected', 180_000);
  send('HEARTBEAT', 9999);
  await driver.flush();

  const got: EventPayload[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const sub = await driver.consumeDurable({ stream: STREAM, from: 'all' }, (m: DurableMessage) => {
    const p = JSON.parse(new TextDecoder().decode(m.data)) as EventPayload;
    got.push(p);
    m.ack();
    if (p.headers['Event-Date-Timestamp'] === '9999') finish();
  });
  const timer = setTimeout(finish, 60_000);
  await finished;
  clearTimeout(timer);
  await sub.unsubscribe();
  // A produce the frozen broker read before the link was dropped may be appended as well: one copy each.
  const seen = new Set<string>();
  const once = got.filter((p) => {
    const key = JSON.stringify(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const shown = once.map((p) => (p.headers['Event-Subclass'] === NOTICE ? `notice(${p.headers['FSBus-Events-Dropped']}/${p.headers['FSBus-Hangups-Dropped']})` : p.headers['Event-Date-Timestamp']));
  const notices = once.filter((p) => p.headers['Event-Subclass'] === NOTICE).map((p) => p.headers['FSBus-Events-Dropped']);
  assert.equal(notices[0], '1', `the first loss's notice reaches the topic; on it: ${shown.join(' ')}`);
  assert.equal(notices.length, 2, `then the second outage's; on the topic: ${shown.join(' ')}`);
  assert.equal(told.length, 2);
  // 1000 and 2001 pushed out for 2004 and 2005: the second outage's loss.
  assert.deepEqual(told[1], { count: 2, hangups: 0, sinceUs: 1000, untilUs: told[1]!.untilUs });
  assert.deepEqual(lines.filter((l) => l['msg'] === OWN_EVENT_DROPPED_AFTER_SEND_LOG), []);
});
