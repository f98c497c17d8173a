// `fsbus events` against a ZeroMQ agent in mod_event_zmq compatibility mode: the bus cannot give
// fsbus clients those events. That is a failed command (exit 1, the code and a hint on what to
// change), not a usage error (exit 2: nothing the user typed is wrong).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { freePort } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { cliEnv, runCli } from './support/run-cli.js';

void test('events over zmq from a mod_event_zmq agent: FSBUS_ERR_TRANSPORT_UNSUPPORTED, exit 1, a hint to run the agent in native mode', { timeout: 60_000 }, async (t) => {
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}&mode=mod_event_zmq`;
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  t.after(() => agent.close());
  await agent.connect();
  agent.serve({ subject: 'fsbus.never', competing: true }, () => new Uint8Array(0));
  await agent.flush();
  const r = await runCli(['events', 'channel.>', '--driver', 'zmq', '-s', url], cliEnv({ FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' }));
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^fsbus events: FSBUS_ERR_TRANSPORT_UNSUPPORTED: events: zmq: cannot subscribe to events of tcp:\/\/127\.0\.0\.1:\d+: that agent runs with mode=mod_event_zmq .*native mode/m);
  assert.match(r.err, /^hint: the bus cannot do this as the agent or driver is set up \(the message says what to change\); the command itself is fine, running it again will not help$/m);
  assert.doesNotMatch(r.err, /--help/);
});
