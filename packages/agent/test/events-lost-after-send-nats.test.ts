// Real nats-server behind a relay: events the agent wrote into a link that froze and then went are
// handed back by the NATS driver's write window, told with their own time range and the hangup
// among them. The agent gives each event's timestamp as its PublishOptions.lossMark, so the window
// keeps that number instead of the payload until a PONG: what comes back is the mark, no bytes.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { EventFilter, buildSubjects } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver, type PublishOptions } from '@fsbus/transport';
import { startRelay } from '../../transport/test/conformance/relay.js';
import { EventPublisher, type DropCause } from '../src/event-publisher.js';
import { AgentMetrics } from '../src/metrics.js';
import { timedEvent } from './support/timed-event.js';
import { waitStatus } from '../../transport/test/conformance/helpers.js';

const BUFFER = 16;
const HANGUP = 'CHANNEL_HANGUP_COMPLETE';

let nats: NatsServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(() => nats.stop());

/** Records what the driver hands back (payload size, mark) on its way to the publisher's callback. */
function recordHandBacks(driver: Driver): Array<{ bytes: number; mark: number | undefined }> {
  const seen: Array<{ bytes: number; mark: number | undefined }> = [];
  const publish = driver.publish.bind(driver);
  driver.publish = (subject: string, data: Uint8Array, options?: PublishOptions) => {
    const told = options?.onDroppedAfterSend;
    if (told === undefined) return publish(subject, data, options);
    return publish(subject, data, {
      ...options,
      onDroppedAfterSend: (s, d, mark) => {
        seen.push({ bytes: d.byteLength, mark });
        told(s, d, mark);
      },
    });
  };
  return seen;
}

void test('nats: events written into a frozen link that went come back as their timestamps, not their payloads, with their range and hangup', { timeout: 60_000 }, async (t) => {
  const relay = await startRelay(nats.port);
  const driver = await createDriver('nats', { urls: [relay.url(nats.url)], name: 'agent', bufferMessages: BUFFER });
  t.after(async () => {
    await driver.close();
    await relay.close();
  });
  await driver.connect();
  const handedBack = recordHandBacks(driver);
  const causes: DropCause[] = [];
  const reporting = { droppedTotal: () => driver.stats().dropped, onDropped: (_d: unknown, _l: unknown, cause: DropCause) => void causes.push(cause), onFlowing() {}, onOwnDropped() {} };
  const metrics = new AgentMetrics({}, () => driver.stats().dropped, () => 0);
  const publisher = new EventPublisher(new EventFilter(), buildSubjects(), 'n1', driver, metrics, reporting, BUFFER);
  const send = (name: string, ts: number) => publisher.onEvent(timedEvent(name, ts) as never);

  // Confirmed by flush()'s PONG: nothing of these comes back.
  send(HANGUP, 10);
  send('HEARTBEAT', 20);
  await driver.flush();

  relay.stall();
  for (const [name, ts] of [['HEARTBEAT', 1000], [HANGUP, 1010], ['HEARTBEAT', 1020], ['HEARTBEAT', 1030]] as const) send(name, ts);
  assert.equal(publisher.counters.buffered, 0, 'written, not held');
  await relay.cut();
  await waitStatus(driver, 'reconnecting', 180_000);

  assert.deepEqual(handedBack, [1000, 1010, 1020, 1030].map((mark) => ({ bytes: 0, mark })));
  assert.deepEqual(causes, ['after-send', 'after-send', 'after-send', 'after-send']);
  assert.deepEqual(publisher.takeLoss(), { count: 4, hangups: 1, sinceUs: 1000, untilUs: 1030 });
  assert.equal(driver.stats().dropped, 4);
});
