// A request the broker refuses (an MQTT topic the mosquitto ACL forbids: PUBACK "Not authorized")
// reaches the CLI as the SDK's TransportError FSBUS_ERR_TRANSPORT_BROKER: said with its code and a
// hint that the broker's permissions refused it (sending it again will not help), exit 1.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { startMosquitto } from '@fsbus/testkit';
import { cliEnv, runCli } from './support/run-cli.js';

void test('mqtt: a request the ACL refuses is FSBUS_ERR_TRANSPORT_BROKER with a permissions hint, exit 1', { timeout: 60_000 }, async () => {
  // node-2's lane is read-only for this client; its replies may come back.
  const mosquitto = await startMosquitto({ acl: ['topic read freeswitch/node/node-2', 'topic readwrite freeswitch/reply/#'] });
  try {
    const env = cliEnv({ FSBUS_BROKER_URL: mosquitto.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
    // A long timeout: waiting it out would fail the test's own bound.
    const r = await runCli(['status', '--node', 'node-2', '--timeout', '600000'], env);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /^fsbus status: FSBUS_ERR_TRANSPORT_BROKER: agent\.status request: request to freeswitch\.node\.node-2 failed at the broker: .*Not authorized$/m);
    assert.match(r.err, /^hint: the broker refused it: check the broker's permissions \(ACL\) for this user on this subject; sending it again will not help$/m);
  } finally {
    await mosquitto.stop();
  }
});
