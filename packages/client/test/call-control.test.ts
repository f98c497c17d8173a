// executeApp and dialplan.* (SPEC §3.4) through the SDK against the real agent and a simulated
// FreeSWITCH on a real nats-server. The agent's call-control rig is reused as is: its simulator's
// mod_xml_curl binding reaches the agent's dialplan endpoint, so park mode acts on real calls.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BusErrorCode } from '@fsbus/contract';
import { startRig, type Rig } from '../../agent/test/call-control-harness.js';
import { ClientErrorCode, connect, ReplyError, type FsbusClient, type ParkAudioMode } from '../src/index.js';

const NODE = 'cc-1';

/** Settles `p` and returns its rejection reason; a resolution fails the test. */
const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );

void describe('@fsbus/client executeApp and dialplan (real agent, simulated FreeSWITCH)', () => {
  let rig: Rig;
  let bus: FsbusClient;
  /** An answered channel sitting in park. */
  const uuid = randomUUID();
  before(async () => {
    rig = await startRig();
    bus = await connect({ servers: rig.nats.url, timeoutMs: 5000 });
    rig.sim.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
    const o = await bus.originate({ endpoint: 'user/2000', extension: '&park()', uuid });
    assert.equal(o.uuid, uuid);
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, 'the channel parked');
  });
  after(async () => {
    await bus?.close();
    await rig?.stop();
  });

  void it('executeApp playback: the dispatch reply, then `complete` with its CHANNEL_EXECUTE_COMPLETE', async () => {
    const r = await bus.node(NODE).executeApp({
      uuid,
      app: 'playback',
      args: 'tone_stream://%(100,0,440)',
      vars: { fsbus_greeting: 'hello world' },
      waitForComplete: true,
    });
    assert.match(r.applicationUuid, /^[0-9a-f-]{36}$/);
    assert.equal(r.nodeId, NODE);
    const done = await r.complete;
    assert.equal(done.name, 'CHANNEL_EXECUTE_COMPLETE');
    assert.equal(done.nodeId, NODE);
    assert.equal(done.uuid, uuid);
    assert.equal(done.applicationUuid, r.applicationUuid);
    assert.equal(done.application, 'playback');
    assert.equal(done.applicationData, 'tone_stream://%(100,0,440)');
    assert.equal(done.applicationResponse, 'FILE PLAYED');
    assert.equal(done.variable('fsbus_greeting'), 'hello world', 'vars are set before the application runs');
    // The same completion went out on the event subject too.
    const published = await rig.events.waitFor(
      (e) => e.event_name === 'CHANNEL_EXECUTE_COMPLETE' && e.headers['Application-UUID'] === r.applicationUuid,
      'the completion on the event subject',
    );
    assert.deepEqual(published.headers, done.headers);
  });

  void it('executeApp without waitForComplete resolves with the application uuid only', async () => {
    const r = await bus.executeApp({ uuid, app: 'playback', args: 'silence_stream://10' }, { node: NODE });
    assert.equal(r.nodeId, NODE);
    assert.equal(r.complete, undefined);
    await rig.events.waitFor(
      (e) => e.event_name === 'CHANNEL_EXECUTE_COMPLETE' && e.headers['Application-UUID'] === r.applicationUuid,
      'the playback to complete',
    );
  });

  void it('play_and_get_digits: digits from the simulator, the result variable read from `complete`', async () => {
    const args = '1 4 3 5000 # tone_stream://%(300,0,440) /invalid.wav my_digits \\d+ 2000 -';
    const r = await bus.executeApp({ uuid, app: 'play_and_get_digits', args, waitForComplete: true }, { node: NODE });
    // Dispatched: the application now waits for the caller's digits.
    assert.equal(rig.sim.core.control.sendDigits(uuid, '4321'), true);
    const done = await r.complete;
    assert.equal(done.applicationUuid, r.applicationUuid);
    assert.equal(done.application, 'play_and_get_digits');
    assert.equal(done.applicationData, args);
    assert.equal(done.variable('my_digits'), '4321');
  });

  void it('executeApp on an unknown uuid rejects with FSBUS_ERR_BUS_SESSION_NOT_FOUND', async () => {
    for (const waitForComplete of [false, true]) {
      const err = await rejection(bus.node(NODE).executeApp({ uuid: randomUUID(), app: 'playback', args: 'x.wav', waitForComplete }));
      assert.ok(err instanceof ReplyError);
      assert.equal(err.code, BusErrorCode.SESSION_NOT_FOUND);
      assert.equal(err.message, 'execute_app: session not found');
    }
    const missing = await rejection(bus.node(NODE).executeApp({ uuid: '', app: 'playback' }));
    assert.ok(missing instanceof ReplyError);
    assert.equal(missing.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(missing.message, "execute_app: 'uuid' field required");
  });

  void it('dialplan enable/audio/autoanswer/status/disable: documented messages and status data; calls park by it', async () => {
    const dp = bus.node(NODE).dialplan;
    const initial = await dp.status();
    assert.equal(initial.message, 'Dialplan status retrieved');
    assert.equal(initial.node_id, NODE);
    assert.deepEqual(pick(initial.data, 'available', 'enabled', 'mode', 'autoanswer'), { available: true, enabled: false, mode: 'silence', autoanswer: false });
    assert.match(String(field(initial.data, 'endpoint')), /^http:\/\/127\.0\.0\.1:\d+\/dialplan$/);

    const enabled = await dp.enable();
    assert.equal(enabled.message, 'Park mode enabled');
    assert.equal(field(enabled.data, 'enabled'), true);
    const audio = await dp.audio('music', 'moh');
    assert.equal(audio.message, 'Audio mode updated');
    assert.deepEqual(pick(audio.data, 'mode', 'music_class'), { mode: 'music', music_class: 'moh' });
    const answer = await dp.autoanswer(true);
    assert.equal(answer.message, 'Auto-answer updated');
    assert.equal(field(answer.data, 'autoanswer'), true);

    // A call routed by FreeSWITCH now gets the park extension from the agent.
    rig.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, answerRatio: 1, destination: '5701', holdMs: 600_000 });
    const park = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.headers['Caller-Destination-Number'] === '5701', 'the call to 5701 parked');
    assert.equal(park.headers['variable_fsbus_park_node'], NODE);
    // FreeSWITCH's park plays nothing itself: the agent broadcasts the music once the call parks.
    assert.match(park.headers['variable_fsbus_park_audio'] ?? '', /local_stream:\/\/moh$/);
    const played = await rig.events.waitFor((e) => e.uuid === park.uuid && e.event_name === 'CHANNEL_EXECUTE' && e.headers['Application'] === 'playback', 'the music broadcast');
    assert.equal(played.headers['Application-Data'], 'local_stream://moh');
    const ran = rig.events.of(park.uuid!, 'CHANNEL_EXECUTE').map((e) => e.headers['Application']);
    assert.deepEqual(ran, ['set', 'answer', 'set', 'park', 'playback']);

    const status = await dp.status();
    assert.equal(status.message, 'Dialplan status retrieved');
    assert.deepEqual(pick(status.data, 'enabled', 'mode', 'music_class', 'autoanswer', 'calls_parked', 'parked_now'), {
      enabled: true,
      mode: 'music',
      music_class: 'moh',
      autoanswer: true,
      calls_parked: 1,
      parked_now: 1,
    });
    const disabled = await dp.disable();
    assert.equal(disabled.message, 'Park mode disabled');
    assert.equal(field(disabled.data, 'enabled'), false);
    assert.equal(field((await dp.status()).data, 'enabled'), false);
    await bus.hangup(park.uuid!, undefined, { node: NODE });
  });

  void it('a bad audio mode rejects with FSBUS_ERR_BUS_INVALID_ARGUMENT', async () => {
    const err = await rejection(bus.node(NODE).dialplan.audio('loud' as ParkAudioMode));
    assert.ok(err instanceof ReplyError);
    assert.equal(err.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(err.message, 'Invalid mode. Use silence, ringback, or music');
    assert.equal(field((await bus.node(NODE).dialplan.status()).data, 'mode'), 'music', 'the mode is unchanged');
  });

  // Last: park holds the channel until it leaves, so nothing queued after it would run.
  void it('a completion that never comes rejects `complete` with FSBUS_ERR_CLIENT_TIMEOUT; a channel ended before the application ran, with the agent SESSION_NOT_FOUND', async () => {
    const r = await bus.executeApp({ uuid, app: 'park', waitForComplete: true, completeTimeoutMs: 200 }, { node: NODE });
    await assert.rejects(r.complete, { code: ClientErrorCode.TIMEOUT });
    // Queued behind park: the hangup ends the channel before its turn, and the agent says so.
    const queued = await bus.executeApp({ uuid, app: 'playback', args: 'silence_stream://10', waitForComplete: true, completeTimeoutMs: 30_000 }, { node: NODE });
    await bus.hangup(uuid, undefined, { node: NODE });
    const ended = await rejection(queued.complete);
    assert.ok(ended instanceof ReplyError, String(ended));
    assert.equal(ended.code, BusErrorCode.SESSION_NOT_FOUND);
    assert.equal(field(ended.data, 'application_uuid'), queued.applicationUuid);
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_DESTROY' && e.uuid === uuid, 'the channel gone');
  });
});

function field(data: unknown, name: string): unknown {
  assert.ok(typeof data === 'object' && data !== null, 'reply data is an object');
  return (data as Record<string, unknown>)[name];
}

function pick(data: unknown, ...names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [n, field(data, n)]));
}
