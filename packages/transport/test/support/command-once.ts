/**
 * The "runs once across a cut" scenario for drivers whose client library sends again what a lost
 * connection left unanswered (mqtt.js QoS 1 PUBLISH, ioredis commands): a fire-and-forget command
 * sent while the relay holds the broker's answers, then the link cut and restored. The items go
 * through DriverCore's send() (what publish() uses), marked by hand as DriverCore marks
 * command-lane publishes; an event sent the same way must still arrive.
 */
import { strict as assert } from 'node:assert';
import type { Driver, DriverOptions } from '../../src/driver.js';
import type { OutboxItem } from '../../src/outbox.js';
import { Collector, dec, enc, waitStatus, within } from '../conformance/helpers.js';
import { startRelay } from '../conformance/relay.js';

/** A driver whose test subclass can hand DriverCore's send() an item as it is. */
export interface ItemSender extends Driver {
  sendItem(item: OutboxItem): void;
}

const LANE = 'freeswitch.cmd.async.>';
const COMMAND = 'freeswitch.cmd.async.originate';
const EVENT = 'freeswitch.event.custom';

export async function fireAndForgetRunsOnce(brokerUrl: string, make: { server(o: DriverOptions): Driver; client(o: DriverOptions): ItemSender }): Promise<void> {
  const relay = await startRelay(Number(new URL(brokerUrl).port));
  const options: DriverOptions = { urls: [brokerUrl], name: 'server', connectTimeoutMs: 5000 };
  const server = make.server(options);
  const client = make.client({ ...options, urls: [relay.url(brokerUrl)], name: 'client' });
  try {
    await server.connect();
    const runs = new Collector<string>();
    server.serve({ subject: LANE, competing: true, group: 'freeswitch.cmd.async' }, (req) => {
      runs.push(dec(req.data));
      return undefined;
    });
    const events = new Collector<string>();
    server.subscribe(EVENT, (m) => events.push(dec(m.data)));
    await server.flush();
    await client.connect();
    client.sendItem({ subject: COMMAND, data: enc('warm'), kind: 'request' });
    await runs.until(1);
    await client.flush(); // its answer is in

    // The broker's answers never reach the client: both sends stay unanswered in its library.
    relay.holdAnswers();
    client.sendItem({ subject: COMMAND, data: enc('ONCE'), kind: 'request' });
    client.sendItem({ subject: EVENT, data: enc('EV') });
    await runs.until(2);
    await events.until(1);

    await relay.cut();
    await waitStatus(client, 'reconnecting');
    await relay.restore();
    await waitStatus(client, 'connected');
    // Sent after whatever the library sent again on the same connection, served by the same server: in order.
    client.sendItem({ subject: COMMAND, data: enc('after'), kind: 'request' });
    await runs.until(3);
    assert.deepEqual(runs.items, ['warm', 'ONCE', 'after']);
    assert.ok(events.items.length >= 1 && events.items.every((e) => e === 'EV'), `events: ${JSON.stringify(events.items)}`);
    // Whatever was taken back settled (flush waits on every send), and it is no drop.
    await within(client.flush(), 10_000, 'flush never resolved: a send taken back never settled');
    assert.equal(client.stats().dropped, 0);
  } finally {
    await client.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    await relay.close().catch(() => undefined);
  }
}
