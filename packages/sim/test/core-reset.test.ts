/**
 * A restart is a fresh FreeSWITCH: stop() then start() forgets the globals, the session counters
 * and the uptime; scripted endpoint behaviours are the test's script and stay until cleared or
 * until reset(), which puts the whole core back as constructed. placeInboundCall places one call.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, harness, header } from './core-capture.js';

void describe('SimCore restart and reset', () => {
  void it('globals, the session counters and the uptime do not survive stop()', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'global_setvar', 'foo=bar'), '+OK');
    assert.match(await apiAt(h, 'originate', 'loopback/7001 &park()'), /^\+OK /);
    await h.clock.advance(5000);
    assert.match(await apiAt(h, 'status', ''), /\n2 session\(s\) since startup\n/);
    await h.core.stop();
    h.core.start();
    assert.equal(await apiAt(h, 'global_getvar', 'foo'), '-ERR no reply\n');
    assert.equal(await apiAt(h, 'global_getvar', 'hostname'), 'vm');
    const status = await apiAt(h, 'status', '');
    assert.match(status, /^UP 0 years, 0 days, 0 hours, 0 minutes, 0 seconds, 0 milliseconds/);
    assert.match(status, /\n0 session\(s\) since startup\n/);
    assert.match(status, /\n0 session\(s\) - peak 0,/);
    await h.core.stop();
  });

  void it('endpoint behaviours stay across stop(); clearEndpointBehavior removes one or all', async () => {
    const h = harness();
    h.core.control.setEndpointBehavior('user/1000', { answer: 'busy' });
    h.core.control.setEndpointBehavior('user/1001', { answer: 'busy' });
    await h.core.stop();
    h.core.start();
    assert.equal(await apiAt(h, 'originate', 'user/1000 &park()'), '-ERR USER_BUSY\n');
    assert.equal(h.core.control.clearEndpointBehavior('user/1000'), 1);
    assert.equal(h.core.control.clearEndpointBehavior('user/1000'), 0);
    assert.match(await apiAt(h, 'originate', 'user/1000 &park()'), /^\+OK /);
    assert.equal(await apiAt(h, 'originate', 'user/1001 &park()'), '-ERR USER_BUSY\n');
    assert.equal(h.core.control.clearEndpointBehavior(), 1);
    assert.match(await apiAt(h, 'originate', 'user/1001 &park()'), /^\+OK /);
    await h.core.stop();
  });

  void it('reset() hangs up, forgets globals, stores, behaviours and latency, and keeps running', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'global_setvar', 'foo=bar'), '+OK');
    assert.equal(await apiAt(h, 'db', 'insert/realm/k/v'), '+OK');
    assert.match(await apiAt(h, 'originate', 'loopback/7001 &park()'), /^\+OK /);
    h.core.control.setEndpointBehavior('user/1000', { answer: 'busy' });
    h.core.control.setLatency(50);
    await h.core.reset();
    assert.equal(h.core.control.latencyMs, 0);
    assert.ok(h.events.some((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && header(e, 'Hangup-Cause') === 'SYSTEM_SHUTDOWN'));
    assert.equal(await apiAt(h, 'show', 'channels count'), '\n0 total.\n');
    assert.equal(await apiAt(h, 'global_getvar', 'foo'), '-ERR no reply\n');
    assert.equal(await apiAt(h, 'db', 'count'), '0');
    const placed = await apiAt(h, 'originate', 'user/1000 &park()');
    assert.match(placed, /^\+OK /);
    assert.match(await apiAt(h, 'status', ''), /\n1 session\(s\) since startup\n/);
    // One counter in FreeSWITCH (session_manager.session_id): the first session after a fresh start is 1.
    assert.equal(await apiAt(h, 'uuid_getvar', `${placed.slice(4, -1)} session_id`), '1');
    await h.core.stop();
  });

  void it('session ids start again at 1 after stop() and start(), as status counts them', async () => {
    const h = harness();
    assert.match(await apiAt(h, 'originate', 'loopback/7001 &park()'), /^\+OK /);
    await h.core.stop();
    h.core.start();
    const placed = await apiAt(h, 'originate', 'user/1000 &park()');
    assert.match(placed, /^\+OK /);
    assert.equal(await apiAt(h, 'uuid_getvar', `${placed.slice(4, -1)} session_id`), '1');
    const create = h.events.findLast((e) => e.name === 'CHANNEL_CREATE');
    assert.equal(create === undefined ? undefined : header(create, 'variable_session_id'), '1');
    assert.match(await apiAt(h, 'status', ''), /\n1 session\(s\) since startup\n/);
    await h.core.stop();
  });

  void it('placeInboundCall places one sofia inbound call through the dialplan and returns its uuid', async () => {
    const h = harness();
    const uuid = h.core.control.placeInboundCall({ from: '5551234', to: '7001', context: 'public', vars: { test_case: 'one' }, hangupAfterMs: 2000 });
    await h.clock.advance(0);
    const mine = h.events.filter((e) => header(e, 'Unique-ID') === uuid);
    const create = mine.find((e) => e.name === 'CHANNEL_CREATE');
    assert.ok(create, 'CHANNEL_CREATE for the returned uuid');
    assert.equal(header(create, 'Channel-Name'), 'sofia/internal/5551234@192.0.2.10');
    assert.equal(header(create, 'Call-Direction'), 'inbound');
    assert.equal(header(create, 'Caller-Caller-ID-Number'), '5551234');
    assert.equal(header(create, 'Caller-Context'), 'public');
    assert.equal(header(create, 'Caller-Destination-Number'), '7001');
    assert.equal(header(create, 'Caller-Source'), 'mod_sofia');
    // public transfers to default 7001: answer, park.
    const park = mine.find((e) => e.name === 'CHANNEL_PARK');
    assert.ok(park, mine.map((e) => e.name).join(' '));
    assert.equal(header(park, 'variable_test_case'), 'one');
    await h.clock.advance(2000);
    const done = h.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && header(e, 'Unique-ID') === uuid);
    assert.equal(done && header(done, 'Hangup-Cause'), 'NORMAL_CLEARING');
    await h.core.stop();
  });

  void it('placeInboundCall: defaults and a call nobody hangs up', async () => {
    const h = harness();
    const uuid = h.core.control.placeInboundCall({ to: '7001' });
    const create = h.events.find((e) => e.name === 'CHANNEL_CREATE' && header(e, 'Unique-ID') === uuid);
    assert.ok(create);
    assert.equal(header(create, 'Caller-Context'), 'default');
    await h.clock.advance(60_000);
    assert.equal(await apiAt(h, 'show', 'channels count'), '\n1 total.\n');
    assert.throws(() => h.core.control.placeInboundCall({ to: '' }), /to/);
    await h.core.stop();
  });
});
