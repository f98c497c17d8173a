// A request to a topic the mosquitto ACL does not let the client publish to is refused by the
// broker (MQTT 5 PUBACK 0x87 "Not authorized"; mosquitto keeps the connection). The SDK's caller
// hears FSBUS_ERR_TRANSPORT_BROKER with the broker's reason at once, not
// FSBUS_ERR_CLIENT_DISCONNECTED (which a caller retries, for ever here) nor a timeout; the
// connection and the other requests in flight go on. The "agent" is a bare lane that answers.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { encodeReply, successReply } from '@fsbus/contract';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { connect, type FsbusClient } from '../src/index.js';

/** Long enough that waiting it out would fail the test's own bound. */
const LONG = 600_000;

void test('mqtt: a request or gather the ACL refuses (PUBACK Not authorized) rejects at once with FSBUS_ERR_TRANSPORT_BROKER, the connection and other requests unhurt', { timeout: 60_000 }, async () => {
  // Anyone may publish on the shared lane and node-1's; node-2's lane and broadcast are read-only.
  const mosquitto = await startMosquitto({
    acl: ['topic readwrite freeswitch/api', 'topic readwrite freeswitch/node/node-1', 'topic read freeswitch/node/node-2', 'topic read freeswitch/broadcast', 'topic readwrite freeswitch/reply/#'],
  });
  const lanes = await createDriver('mqtt', { urls: [mosquitto.url], name: 'lanes' });
  let held: ((reply: Uint8Array) => void) | undefined;
  let arrived: (() => void) | undefined;
  const heldArrived = new Promise<void>((resolve) => (arrived = resolve));
  let bus: FsbusClient | undefined;
  try {
    await lanes.connect();
    bus = await connect({ url: mosquitto.url, driver: 'mqtt' });
    const ok = (nodeId: string) => encodeReply(successReply({ nodeId, message: 'ok', data: 'ok' }));
    // node-1 answers only when the test lets it: a request in flight while another is refused.
    lanes.serve({ subject: 'freeswitch.node.node-1', competing: false }, () => {
      arrived?.();
      return new Promise<Uint8Array>((resolve) => (held = resolve));
    });
    lanes.serve({ subject: 'freeswitch.api', competing: true }, () => ok('any'));
    lanes.serve({ subject: 'freeswitch.node.node-2', competing: false }, () => ok('node-2'));
    await lanes.flush();

    const inFlight = bus.node('node-1').api('status', undefined, { timeoutMs: LONG });
    inFlight.catch(() => undefined); // a failure below closes the client under it: reported, not this
    await heldArrived;
    await assert.rejects(bus.node('node-2').api('status', undefined, { timeoutMs: LONG }), { code: TransportErrorCode.BROKER, message: /request to freeswitch\.node\.node-2 failed at the broker: .*Not authorized/ });
    await assert.rejects(bus.gather('status', { timeoutMs: LONG }), { code: TransportErrorCode.BROKER, message: /Not authorized/ });
    assert.equal(bus.driver.status, 'connected');
    held?.(ok('node-1'));
    assert.equal(await inFlight, 'ok');
    assert.equal(await bus.api('status', undefined, { timeoutMs: 10_000 }), 'ok');
  } finally {
    await bus?.close();
    await lanes.close();
    await mosquitto.stop();
  }
});
