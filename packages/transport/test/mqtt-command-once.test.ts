// MQTT, QoS 1: mqtt.js sends every PUBLISH still waiting for its PUBACK again after a reconnect.
// What runs on arrival (here a fire-and-forget command, `kind: 'request'` with no reply address)
// must not run twice: the driver takes it back at the connection loss. An event still goes again.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startMosquitto } from '@fsbus/testkit';
import type { OutboxItem } from '../src/outbox.js';
import { MqttDriver } from '../src/drivers/mqtt/mqtt-driver.js';
import { fireAndForgetRunsOnce } from './support/command-once.js';

class ItemMqttDriver extends MqttDriver {
  sendItem(item: OutboxItem): void {
    assert.equal(this.send(item), 'sent');
  }
}

void test('mqtt: a fire-and-forget command unacknowledged at a connection cut runs once; an event still arrives', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto();
  try {
    await fireAndForgetRunsOnce(broker.url, { server: (o) => new MqttDriver(o), client: (o) => new ItemMqttDriver(o) });
  } finally {
    await broker.stop();
  }
});
