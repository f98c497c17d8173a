// A link between a ZeroMQ client and an agent that hangs without closing: without ZMTP heartbeats
// the client's DEALER keeps the connection, and every request queued on it waits there, until the
// kernel gives up on the socket. With them (every livenessIntervalMs, 5 s by default; dead after
// two intervals without traffic) the connection is dropped, the DEALER dials again and the next
// request is answered. The client runs with a 1 s interval, so the test does not wait out the
// default — and so also shows that the option sets the detection.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { freePort } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { dec, enc, within } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

/** The client's livenessIntervalMs: the hung connection dropped within 2–3 s. */
const LIVENESS_MS = 1000;

void test('zmq: a link that hangs is dropped by the heartbeats; the client dials again and is answered', { timeout: 90_000 }, async (t) => {
  const commands = await freePort();
  const events = await freePort();
  const agent = await createDriver('zmq', { urls: [`zmq://127.0.0.1:${commands}?events=${events}`], name: 'agent' });
  t.after(() => agent.close());
  await agent.connect();
  agent.serve({ subject: 'freeswitch.api', competing: true }, (req) => enc(`ok:${dec(req.data)}`));
  const relay = await startRelay(commands);
  t.after(() => relay.close());
  const client = await createDriver('zmq', { urls: [`zmq://127.0.0.1:${relay.port}?events=${events}`], name: 'client', livenessIntervalMs: LIVENESS_MS });
  t.after(() => client.close());
  await client.connect();
  assert.equal(dec((await client.request('freeswitch.api', enc('1'), { timeoutMs: 10_000 })).data), 'ok:1');
  const dialled = relay.accepted;

  relay.stall();
  // The heartbeats drop the hung connection and the DEALER dials again: within a few intervals,
  // not the kernel's quarter of an hour.
  await within(relay.accepting(dialled + 1), 40_000, 'the client never dialled again over the hung link');
  assert.equal(dec((await client.request('freeswitch.api', enc('2'), { timeoutMs: 10_000 })).data), 'ok:2');
});
