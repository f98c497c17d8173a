// Real Kafka: events publish() answered 'sent' that the frozen broker never acknowledged go back
// in front of the driver's outbox; evicted there later by events buffered while the broker stays
// away, each comes back to the agent with its own timestamp and subject: the loss to announce
// starts at the oldest of them and counts the hangup among them. Before, the outbox only counted
// those later evictions and the agent took them for its own buffered events.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { EventFilter, buildSubjects } from '@fsbus/contract';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { EventPublisher } from '../src/event-publisher.js';
import { AgentMetrics } from '../src/metrics.js';
import { timedEvent } from './support/timed-event.js';
import { waitStatus } from '../../transport/test/conformance/helpers.js';

const BUFFER = 4;
const HANGUP = 'CHANNEL_HANGUP_COMPLETE';
/** Short, as the test waits for the frozen broker to be noticed; well above a thawed broker's answers. */
const LIVENESS_MS = 2000;

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

void test('kafka: events in flight put back, evicted later by buffered ones, are told with their own range and hangup', { timeout: 300_000 }, async (t) => {
  // The frozen broker noticed within two liveness intervals (4 s), not the default's 20 s.
  const driver = await createDriver('kafka', { urls: [kafka.url], name: 'put-back-evicted', bufferMessages: BUFFER, livenessIntervalMs: LIVENESS_MS });
  // After hooks run in registration order: the broker thaws first, or close() waits on it frozen.
  t.after(() => kafka.resume());
  t.after(() => driver.close());
  await driver.connect();
  let noticed!: () => void;
  const firstDrop = new Promise<void>((resolve) => (noticed = resolve));
  const reporting = { droppedTotal: () => driver.stats().dropped, onDropped: () => noticed(), onFlowing() {}, onOwnDropped() {} };
  const metrics = new AgentMetrics({}, () => driver.stats().dropped, () => 0);
  const publisher = new EventPublisher(new EventFilter(), buildSubjects(), 'n1', driver, metrics, reporting, BUFFER);
  const send = (name: string, ts: number) => publisher.onEvent(timedEvent(name, ts) as never);
  // The topics exist and are known: the produce below goes out without a metadata round trip.
  send(HANGUP, 10);
  send('HEARTBEAT', 20);
  await driver.flush();
  await kafka.pause();
  // In flight to a frozen broker: 'sent'.
  // The hangup second: the first of them may be dropped as they come back, the others only later.
  send('HEARTBEAT', 1000);
  send(HANGUP, 1010);
  for (const ts of [1020, 1030]) send('HEARTBEAT', ts);
  assert.equal(publisher.counters.buffered, 0);
  await waitStatus(driver, 'reconnecting', 180_000);
  // One buffered: whether the four come back before or after it, the oldest of them is dropped for it.
  send('HEARTBEAT', 2000);
  await firstDrop;
  // Three more buffered evict the other three put back (not the agent's own buffered events).
  for (const ts of [2001, 2002, 2003]) send('HEARTBEAT', ts);
  assert.equal(publisher.counters.buffered, 4);
  assert.deepEqual(publisher.takeLoss(), { count: 4, hangups: 1, sinceUs: 1000, untilUs: 1030 });
  kafka.resume();
  await waitStatus(driver, 'connected', 180_000);
  await driver.flush();
  const { dropped, pending } = driver.stats();
  assert.deepEqual({ dropped, pending }, { dropped: 4, pending: 0 });
});
