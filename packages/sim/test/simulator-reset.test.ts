/**
 * The Simulator's reset (in-process and `POST /reset`), one inbound call from outside
 * (`POST /calls/inbound`), `GET /channels`, clearing an endpoint behaviour, and the core options
 * passed through (clock, playback lengths).
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { CoreEvent } from '../src/index.js';
import { FakeClock, Simulator } from '../src/index.js';
import { controlHttp } from './control-http.js';
import { WireClient } from './listener-client.js';

void describe('Simulator reset and control routes', () => {
  let sim: Simulator;
  let port: number;
  let controlPort: number;

  void before(async () => {
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, controlPort: 0 });
    const address = await sim.start();
    port = address.port;
    controlPort = address.controlPort!;
  });
  void after(() => sim.stop());

  const http = controlHttp(() => controlPort);

  async function api(c: WireClient, text: string): Promise<string> {
    return (await c.command(`api ${text}`)).body?.toString() ?? '';
  }

  void it('POST /calls/inbound places one call, GET /channels lists it, POST /reset forgets everything', async () => {
    const c = await WireClient.authed(port);
    assert.equal(await api(c, 'global_setvar foo=bar'), '+OK');
    assert.equal((await http('POST', '/endpoint-behavior', { endpoint: 'user/1000', answer: 'busy' })).status, 200);
    sim.control.setReplyLatency(5);
    const placed = await http('POST', '/calls/inbound', { from: '5551234', to: '7001', vars: { case: 'http' } });
    assert.equal(placed.status, 200, JSON.stringify(placed.json));
    const uuid = placed.json['uuid'];
    assert.equal(typeof uuid, 'string');
    const channels = await http('GET', '/channels');
    assert.equal(channels.json['row_count'], 1);
    const row = (channels.json['rows'] as Array<Record<string, string>>)[0];
    assert.equal(row?.['uuid'], uuid);
    assert.equal(row?.['name'], 'sofia/internal/5551234@192.0.2.10');
    assert.equal(await api(c, `uuid_getvar ${String(uuid)} case`), 'http');
    assert.equal((await http('POST', '/calls/inbound', { from: '1' })).status, 400);

    const reset = await http('POST', '/reset');
    assert.equal(reset.status, 200);
    assert.equal(reset.json['port'], port, 'the same port, still listening');
    assert.equal(reset.json['replyLatencyMs'], 0);
    assert.deepEqual((await http('GET', '/channels')).json, { row_count: 0 });
    const d = await WireClient.authed(port);
    assert.equal(await api(d, 'global_getvar foo'), '-ERR no reply\n');
    const again = await api(d, 'originate user/1000 &park()');
    assert.match(again, /^\+OK /);
    assert.match(await api(d, 'status'), /\n1 session\(s\) since startup\n/);
    assert.equal(await api(d, `uuid_getvar ${again.slice(4, -1)} session_id`), '1', 'session ids count from 1 again');
    assert.equal((await http('POST', '/hupall')).status, 200);
    c.close();
    d.close();
  });

  void it('POST /endpoint-behavior/clear forgets one behaviour, or all', async () => {
    await http('POST', '/endpoint-behavior', { endpoint: 'user/1000', answer: 'busy' });
    await http('POST', '/endpoint-behavior', { endpoint: 'user/1001', answer: 'busy' });
    assert.deepEqual((await http('POST', '/endpoint-behavior/clear', { endpoint: 'user/1000' })).json, { cleared: 1 });
    const c = await WireClient.authed(port);
    assert.match(await api(c, 'originate user/1000 &park()'), /^\+OK /);
    assert.equal(await api(c, 'originate user/1001 &park()'), '-ERR USER_BUSY\n');
    assert.deepEqual((await http('POST', '/endpoint-behavior/clear')).json, { cleared: 1 });
    assert.match(await api(c, 'originate user/1001 &park()'), /^\+OK /);
    await http('POST', '/hupall');
    c.close();
  });
});

void it('Simulator passes clock and playback lengths through to the core', async () => {
  const clock = new FakeClock();
  const dialplan = { default: [{ name: 'play', conditions: [{ expression: '^5000$', actions: [{ application: 'answer' }, { application: 'playback', data: 'a.wav' }, { application: 'playback', data: 'b.wav' }, { application: 'hangup' }] }] }] };
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, clock, dialplan, playbackFileMs: 30, playbackLengths: new Map([['b.wav', 70]]) });
  await sim.start();
  const events: CoreEvent[] = [];
  sim.core.onEvent((e) => events.push(e));
  const uuid = sim.core.control.placeInboundCall({ to: '5000' });
  const hungUp = (): boolean => events.some((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.headers.some(([k, v]) => k === 'Unique-ID' && v === uuid));
  await clock.advance(99);
  assert.equal(hungUp(), false, 'still playing after 99 ms of simulated time');
  await clock.advance(1);
  assert.equal(hungUp(), true, 'a.wav (30 ms) then b.wav (70 ms)');
  await sim.stop();
});
