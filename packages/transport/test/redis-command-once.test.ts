// Redis: ioredis sends every command still waiting for its answer again after a reconnect
// (autoResendUnfulfilledCommands). What runs on arrival (here a fire-and-forget command,
// `kind: 'request'` with no reply address nor deadline) must not run twice: the route script finds
// the mark its first copy left and does nothing. An event (Pub/Sub) still goes again.
// The items go through DriverCore's send() (what publish() uses), marked by hand as DriverCore
// marks command-lane publishes.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startRedis } from '@fsbus/testkit';
import type { DriverOptions } from '../src/driver.js';
import type { OutboxItem } from '../src/outbox.js';
import { RedisDriver } from '../src/drivers/redis/redis-driver.js';
import { Collector, dec, enc, waitStatus, within } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

class ItemRedisDriver extends RedisDriver {
  sendItem(item: OutboxItem): void {
    assert.equal(this.send(item), 'sent');
  }
}

const LANE = 'freeswitch.cmd.async.>';
const COMMAND = 'freeswitch.cmd.async.originate';
const EVENT = 'freeswitch.event.custom';

void test('redis: a fire-and-forget command unacknowledged at a connection cut runs once; an event still arrives', { timeout: 60_000 }, async () => {
  const broker = await startRedis();
  const relay = await startRelay(Number(new URL(broker.url).port));
  const options: DriverOptions = { urls: [broker.url], name: 'server', connectTimeoutMs: 5000 };
  const server = new RedisDriver(options);
  const client = new ItemRedisDriver({ ...options, urls: [relay.url(broker.url)], name: 'client' });
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

    // Redis's answers never reach the client: both route scripts stay unanswered in ioredis.
    relay.holdAnswers();
    client.sendItem({ subject: COMMAND, data: enc('ONCE'), kind: 'request' });
    client.sendItem({ subject: EVENT, data: enc('EV') });
    await runs.until(2);
    await events.until(1);

    await relay.cut();
    await waitStatus(client, 'reconnecting');
    await relay.restore();
    await waitStatus(client, 'connected');
    // Sent after whatever ioredis sent again on the same connection, read from the same lane stream: in order.
    client.sendItem({ subject: COMMAND, data: enc('after'), kind: 'request' });
    await runs.until(3);
    assert.deepEqual(runs.items, ['warm', 'ONCE', 'after']);
    assert.ok(events.items.length >= 1 && events.items.every((e) => e === 'EV'), `events: ${JSON.stringify(events.items)}`);
    await within(client.flush(), 10_000, 'flush never resolved');
    assert.equal(client.stats().dropped, 0);
  } finally {
    await client.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    await relay.close().catch(() => undefined);
    await broker.stop();
  }
});
