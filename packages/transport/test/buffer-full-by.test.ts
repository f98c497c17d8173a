// stats().bufferFullBy names the bound of the outgoing buffer that made its latest drop for room:
// what the agent's "outgoing buffer full" line says (`limit`), instead of reading it from how many
// messages the buffer holds after the drop (wrong when both bound, and on Kafka). A real driver,
// its broker cut away by a relay.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { waitStatus } from './conformance/helpers.js';
import { startRelay, type Relay } from './conformance/relay.js';

let broker: { url: string; stop(): Promise<void> };
let relay: Relay;
let client: Driver;

before(async () => {
  broker = await startNatsServer();
  relay = await startRelay(Number(new URL(broker.url).port));
  client = await createDriver('nats', { urls: [relay.url(broker.url)], name: 'buffer-full-by', bufferMessages: 3, bufferBytes: 100 });
  await client.connect();
  await relay.cut();
  await waitStatus(client, 'reconnecting', 60_000);
});

after(async () => {
  await client.close();
  await relay.close();
  await broker.stop();
});

void test('nats: bufferFullBy is absent before a drop, then the bound that made the latest one', () => {
  const publish = (size: number) => assert.equal(client.publish('fsbus.test.full', new Uint8Array(size)), 'buffered');
  publish(40);
  publish(40);
  assert.equal(client.stats().bufferFullBy, undefined);
  const dropped = client.stats().dropped;
  // 120 bytes would pass 100 with 2 of 3 places taken: the bytes.
  publish(40);
  assert.deepEqual([client.stats().dropped - dropped, client.stats().pending, client.stats().bufferFullBy], [1, 2, 'bytes']);
  publish(10);
  assert.deepEqual([client.stats().dropped - dropped, client.stats().pending, client.stats().bufferFullBy], [1, 3, 'bytes']);
  // 3 of 3 held: the count.
  publish(1);
  assert.deepEqual([client.stats().dropped - dropped, client.stats().pending, client.stats().bufferFullBy], [2, 3, 'messages']);
});
