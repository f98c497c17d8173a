// Events publish() answered 'sent' that a dying RabbitMQ channel or Kafka connection left in flight
// go back in front of the driver's outbox; evicted there while the broker stays away, they come
// back to the agent one by one (with their own timestamp and subject), apart from the events it
// buffered itself: the announced range covers them and the hangups among the drops are exact.
// The real Outbox and EventPublisher; the driver is a stand-in (the unit is the agent's accounting).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { EventFilter, buildSubjects } from '@fsbus/contract';
import { Outbox, type Driver, type OutboxItem, type PublishOptions, type PublishOutcome } from '@fsbus/transport';
import { EventPublisher } from '../src/event-publisher.js';
import { AgentMetrics } from '../src/metrics.js';
import { timedEvent } from './support/timed-event.js';

const HANGUP = 'CHANNEL_HANGUP_COMPLETE';

/** An agent publishing through a real Outbox of `bound` messages; `lose()` puts what was sent back, as a dead link does. */
function setUp(bound: number) {
  // What DriverCore.droppedAfterSend does with a marked item the bound evicts: count it, tell its publisher.
  const outbox: Outbox = new Outbox(bound, 1 << 20, (item) => {
    outbox.countDropped(item);
    item.onDroppedAfterSend?.(item.subject, item.data);
  });
  let connected = true;
  const inFlight: OutboxItem[] = [];
  const driver = {
    publish(subject: string, data: Uint8Array, options?: PublishOptions): PublishOutcome {
      const item: OutboxItem = { subject, data, onDroppedAfterSend: options?.onDroppedAfterSend };
      if (connected) {
        inFlight.push(item);
        return 'sent';
      }
      return outbox.push(item) ? 'buffered' : 'dropped';
    },
    stats: () => ({ ...(outbox.fullBy === undefined ? {} : { bufferFullBy: outbox.fullBy }) }),
  } as unknown as Driver;
  const metrics = new AgentMetrics({}, () => outbox.dropped, () => 0);
  const reporting = { droppedTotal: () => outbox.dropped, onDropped() {}, onFlowing() {}, onOwnDropped() {} };
  const publisher = new EventPublisher(new EventFilter(), buildSubjects(), 'n1', driver, metrics, reporting, bound);
  const lose = () => {
    connected = false;
    outbox.putBack(inFlight.splice(0));
  };
  return { publisher, lose, send: (name: string, ts: number) => publisher.onEvent(timedEvent(name, ts) as never) };
}

void test('events in flight put back and evicted: the range starts at the oldest of them, its hangup counted', () => {
  const { publisher, lose, send } = setUp(4);
  send(HANGUP, 1000);
  send('HEARTBEAT', 1010);
  lose();
  // Buffered: the two put back go first, then the oldest buffered (a hangup).
  send(HANGUP, 2000);
  for (let i = 1; i <= 4; i++) send('HEARTBEAT', 2000 + i);
  const loss = publisher.takeLoss();
  // Until: the last event buffered before the buffered hangup's eviction was noticed.
  assert.deepEqual(loss, { count: 3, hangups: 2, sinceUs: 1000, untilUs: 2003 });
});

void test('events in flight put back and evicted are not taken for buffered ones: a buffered hangup kept is not counted lost', () => {
  const { publisher, lose, send } = setUp(4);
  send('HEARTBEAT', 1000);
  send('HEARTBEAT', 1010);
  lose();
  send('HEARTBEAT', 2000);
  send(HANGUP, 2001);
  send('HEARTBEAT', 2002);
  send('HEARTBEAT', 2003);
  const loss = publisher.takeLoss();
  assert.deepEqual(loss, { count: 2, hangups: 0, sinceUs: 1000, untilUs: 1010 });
  // All four buffered are held still, the hangup among them.
  assert.equal(publisher.hangupsHeld(4), 1);
});
