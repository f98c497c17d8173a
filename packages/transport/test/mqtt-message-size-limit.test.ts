// mosquitto `message_size_limit` (unlike `max_packet_size`, not advertised: nothing to check
// before sending) answers a QoS 1 PUBLISH too large with PUBACK 0x95, a reason code MQTT 5 does not
// allow in a PUBACK: mqtt-packet refuses to read it and mqtt.js never settles that publish. The
// driver says why (Mosquitto's message_size_limit: use max_packet_size) and flush() — so close()
// and the agent's stop — gives such publishes up at its bound, counted lost, instead of waiting
// for ever.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver } from '@fsbus/transport';
import { startMosquitto } from '@fsbus/testkit';
import { within } from './conformance/helpers.js';
import { INVALID_PUBACK_HINT } from '../src/drivers/mqtt/mqtt-driver.js';

/** A bound for what must happen, only there to fail by name instead of hanging. */
const BOUND_MS = 20_000;
/**
 * flush()'s give-up bound, shortened from MQTT_FLUSH_ACK_WAIT_MS (10 s) so each test does not wait
 * it out: these publishes are never acknowledged, however long it waits.
 */
const FLUSH_ACK_WAIT_MS = 2000;
/** Over the 1 MiB least write window all together. */
const BIG = 20;
const BIG_BYTES = 100_000;

void test('mqtt: publishes a message_size_limit refuses with an invalid PUBACK are counted lost, said with the cause, and flush() finishes', { timeout: 90_000 }, async () => {
  const broker = await startMosquitto({ config: ['message_size_limit 4096'] });
  const agent = await createDriver('mqtt', { urls: [broker.url], flushAckWaitMs: FLUSH_ACK_WAIT_MS });
  const errors: string[] = [];
  let closed = false;
  try {
    await agent.connect();
    agent.on((e) => {
      if (e.type === 'error') errors.push(e.error.message);
    });
    for (let i = 0; i < BIG; i++) assert.equal(agent.publish('ml.events.big', new Uint8Array(BIG_BYTES)), 'sent');
    // Never acknowledged: flush() gives them up at its bound instead of waiting for ever.
    await within(agent.flush(), BOUND_MS, 'flush() still pending');
    assert.equal(agent.stats().dropped, BIG, 'each counted lost, not published');
    assert.ok(
      errors.some((m) => m.includes(INVALID_PUBACK_HINT)),
      `an error names the likely cause: ${JSON.stringify(errors.slice(0, 2))}`,
    );
    await within(agent.close(), BOUND_MS, 'close() still pending');
    closed = true;
  } finally {
    if (!closed) void agent.close();
    await broker.stop();
  }
});

void test('mqtt: close() finishes with publishes a message_size_limit refuses still in flight', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto({ config: ['message_size_limit 4096'] });
  const agent = await createDriver('mqtt', { urls: [broker.url], flushAckWaitMs: FLUSH_ACK_WAIT_MS });
  let closed = false;
  try {
    await agent.connect();
    for (let i = 0; i < BIG; i++) agent.publish('ml.events.big', new Uint8Array(BIG_BYTES));
    // At once: flush() and close() wait for PUBACKs that mqtt.js will never read.
    await within(agent.close(), BOUND_MS, 'close() still pending');
    closed = true;
    assert.equal(agent.stats().dropped, BIG);
  } finally {
    if (!closed) void agent.close();
    await broker.stop();
  }
});

void test('mqtt: flushAckWaitMs that is not a number of milliseconds > 0 is refused at createDriver', async () => {
  for (const bad of [0, -1, Number.NaN, 2 ** 31]) {
    await assert.rejects(createDriver('mqtt', { urls: ['mqtt://127.0.0.1:1883'], flushAckWaitMs: bad }), {
      code: 'FSBUS_ERR_TRANSPORT_INVALID_OPTION',
      message: `flushAckWaitMs must be a number of milliseconds > 0 and at most 2147483647, not ${String(bad)}`,
    });
  }
});
