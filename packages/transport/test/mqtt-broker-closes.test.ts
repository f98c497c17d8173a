// A broker that closes the driver's connection is seen: a warning per burst naming the broker's
// reason (its DISCONNECT reason code, else the socket's error), and every time the broker took the
// driver back counts in stats().reconnects, even when the connection drops again before the
// subscriptions are restored (the agent flapped for 20 s with the counter at 0 and no warning).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startBrokerRelay, startMosquitto } from '@fsbus/testkit';
import type { DriverLogger } from '@fsbus/transport';
import { MqttDriver } from '../src/drivers/mqtt/mqtt-driver.js';
import { CONNECTION_CLOSED_LOG } from '../src/drivers/mqtt/mqtt-connection-losses.js';
import { waitStatus } from './conformance/helpers.js';

const BOUND_MS = 20_000;

function recordingLogger(): { logger: DriverLogger; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const logger: DriverLogger = {
    debug: () => undefined,
    info: () => undefined,
    error: () => undefined,
    warn: (fields, msg) => {
      if (msg === CONNECTION_CLOSED_LOG) warnings.push(fields as Record<string, unknown>);
    },
  };
  return { logger, warnings };
}

/** Resolves once the driver went 'reconnecting' and then 'connected' again (listening from now). */
function backAfterLoss(driver: MqttDriver): Promise<void> {
  const lost = waitStatus(driver, 'reconnecting', BOUND_MS);
  return lost.then(() => waitStatus(driver, 'connected', BOUND_MS));
}


/** An MQTT 5 QoS 0 PUBLISH to `x/#`: a topic name with a wildcard, a protocol error. */
const PUBLISH_TO_WILDCARD = Uint8Array.from([0x30, 0x06, 0x00, 0x03, 0x78, 0x2f, 0x23, 0x00]);

void test('mqtt: the broker disconnecting the driver is logged with its reason code and counted as a reconnect', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto();
  const relay = await startBrokerRelay(broker.port);
  const { logger, warnings } = recordingLogger();
  const server = new MqttDriver({ urls: [`mqtt://127.0.0.1:${relay.port}`], logger });
  try {
    await server.connect();
    await server.flush();
    const back = backAfterLoss(server);
    // Mosquitto answers with DISCONNECT 0x82 and closes the connection.
    relay.inject(PUBLISH_TO_WILDCARD);
    await back;
    assert.equal(server.stats().reconnects, 1);
    assert.deepEqual(warnings, [{ server: `127.0.0.1:${relay.port}`, reason_code: 0x82, reason: 'Protocol Error' }]);
  } finally {
    await server.close();
    await relay.close();
    await broker.stop();
  }
});

void test('mqtt: a connection the broker accepts and drops before the subscriptions are back counts as a reconnect and is logged', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto();
  const relay = await startBrokerRelay(broker.port);
  const { logger, warnings } = recordingLogger();
  const server = new MqttDriver({ urls: [`mqtt://127.0.0.1:${relay.port}`], logger });
  try {
    await server.connect();
    server.serve({ subject: 'bc.api', competing: true }, () => undefined);
    await server.flush();
    const back = backAfterLoss(server);
    relay.dropNext();
    await back;
    // The connection the relay dropped after its CONNACK, then the one that lasted.
    assert.equal(server.stats().reconnects, 2);
    await server.close();
    // Both losses in one burst: the first logged at once, the other in the line written at close.
    assert.equal(warnings.length, 2);
    assert.equal(warnings[0]!['server'], `127.0.0.1:${relay.port}`);
    assert.equal(warnings[1]!['suppressed'], 1);
  } finally {
    await server.close();
    await relay.close();
    await broker.stop();
  }
});
