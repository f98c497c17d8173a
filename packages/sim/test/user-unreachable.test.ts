/**
 * A user/ leg FreeSWITCH 1.10.12 cannot reach: an unregistered user's dial string resolves to
 * error/user_not_registered (mod_sofia's sofia_contact), a user missing from the directory fails
 * in mod_dptools' user_outgoing_channel with SUBSCRIBER_ABSENT. No session is created in either
 * case: no channel events, only the failure.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiAt, harness, header } from './core-capture.js';

const CHANNEL_EVENTS = /^(CHANNEL_|CALL_)/;

for (const cause of ['USER_NOT_REGISTERED', 'SUBSCRIBER_ABSENT']) {
  void it(`user/ scripted error:${cause}: -ERR ${cause}, no channel created`, async () => {
    const h = harness();
    h.core.control.setEndpointBehavior('user/1001', { answer: `error:${cause}`, delayMs: 500 });
    assert.equal(await apiAt(h, 'originate', 'user/1001 &park()', 1000), `-ERR ${cause}\n`);
    assert.deepEqual(h.events.filter((e) => CHANNEL_EVENTS.test(e.name)).map((e) => e.name), []);
    h.core.bgapi('originate', 'user/1001 &park()', '33333333-0000-4000-8000-000000000001');
    await h.clock.advance(1000);
    const job = h.events.find((e) => e.name === 'BACKGROUND_JOB');
    assert.equal(job?.body, `-ERR ${cause}\n`);
    assert.equal(header(job ?? { headers: [] }, 'Job-UUID'), '33333333-0000-4000-8000-000000000001');
    assert.deepEqual(h.events.filter((e) => CHANNEL_EVENTS.test(e.name)).map((e) => e.name), []);
    await h.core.stop();
  });
}

void it('another scripted cause still rings a sofia leg that the far end refuses', async () => {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1001', { answer: 'error:NO_ROUTE_DESTINATION' });
  assert.equal(await apiAt(h, 'originate', 'user/1001 &park()', 10), '-ERR NO_ROUTE_DESTINATION\n');
  assert.ok(h.events.some((e) => e.name === 'CHANNEL_CREATE'));
  await h.core.stop();
});
