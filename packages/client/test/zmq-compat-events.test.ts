// events() against a ZeroMQ agent running in mod_event_zmq compatibility mode (its events have no
// subject for a client to match): the driver refuses the subscription with
// FSBUS_ERR_TRANSPORT_UNSUPPORTED, and the SDK keeps that code. It is what the bus cannot do, not
// an argument the caller got wrong (FSBUS_ERR_CLIENT_INVALID_ARGUMENT, a CLI usage error).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { freePort } from '@fsbus/testkit';
import { createDriver, TransportError, TransportErrorCode } from '@fsbus/transport';
import { connect } from '../src/index.js';

void test('events over zmq from a mod_event_zmq agent: refused FSBUS_ERR_TRANSPORT_UNSUPPORTED (not INVALID_ARGUMENT), before and once the mode is known', async (t) => {
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}&mode=mod_event_zmq`;
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  t.after(() => agent.close());
  await agent.connect();
  agent.serve({ subject: 'fsbus.never', competing: true }, () => new Uint8Array(0));
  await agent.flush();
  const bus = await connect({ driver: 'zmq', servers: url, timeoutMs: 5000 });
  t.after(() => bus.close());
  const refused = (err: unknown): boolean => {
    assert.ok(err instanceof TransportError, `not a TransportError: ${String(err)}`);
    assert.equal(err.code, TransportErrorCode.UNSUPPORTED, err.message);
    assert.match(err.message, /^events: zmq: cannot subscribe to events of .*mode=mod_event_zmq.*native mode/);
    return true;
  };
  // The agent's mode is not known yet: the driver's flush() refuses it.
  const first = bus.events('channel.>');
  await assert.rejects(first.ready, refused);
  await first.close();
  // Known now (its LANES came): subscribe() itself refuses it.
  const second = bus.events(['channel.answer', 'custom.>']);
  await assert.rejects(second.ready, refused);
  await second.close();
  assert.equal(bus.driver.status, 'connected');
});
