// Park mode end to end: the simulator's mod_xml_curl binding asks the agent's endpoint; the
// served XML and the applications the simulator ran are both asserted.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusErrorCode, type EventPayload } from '@fsbus/contract';
import { NOT_FOUND_DOCUMENT, RING_TONE } from '@fsbus/agent';
import { startRig, type Rig } from './call-control-harness.js';

/** One inbound call from the simulator to `dest` in context default; resolves with its uuid. */
async function callIn(rig: Rig, dest: string): Promise<string> {
  rig.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, answerRatio: 1, destination: dest, holdMs: 600_000 });
  const created = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_CREATE' && e.headers['Caller-Destination-Number'] === dest, `a call to ${dest}`);
  return created.uuid!;
}

/** The applications a channel ran, as `app(data)`. */
function executed(rig: Rig, uuid: string): string[] {
  return rig.events.of(uuid, 'CHANNEL_EXECUTE').map((e) => `${e.headers['Application']}(${e.headers['Application-Data'] ?? ''})`);
}

function lookupFor(rig: Rig, uuid: string) {
  const l = rig.tap.lookups.find((x) => x.form.get('Unique-ID') === uuid);
  assert.ok(l !== undefined, `no lookup for ${uuid}`);
  return l;
}

const parked = (rig: Rig, uuid: string): Promise<EventPayload> =>
  rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, `CHANNEL_PARK of ${uuid}`);

/** The playback the agent starts on a parked channel (its CHANNEL_EXECUTE). */
const playing = (rig: Rig, uuid: string): Promise<EventPayload> =>
  rig.events.waitFor((e) => e.event_name === 'CHANNEL_EXECUTE' && e.uuid === uuid && e.headers['Application'] === 'playback', `the playback on ${uuid}`);

const MUSIC = '%[playback_terminators=none]local_stream://moh';

void describe('park mode over NATS against the simulator', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.stop());

  const status = async () => (await rig.request({ command: 'dialplan.status' })).data as Record<string, unknown>;

  void test('disabled: "not found", FreeSWITCH runs its static dialplan, no park counted', async () => {
    const s = await status();
    assert.equal(s['available'], true);
    assert.equal(s['enabled'], false);
    assert.match(String(s['endpoint']), /^http:\/\/127\.0\.0\.1:\d+\/dialplan$/);
    const uuid = await callIn(rig, '7001');
    await parked(rig, uuid);
    const l = lookupFor(rig, uuid);
    assert.equal(l.status, 200);
    assert.equal(l.xml, NOT_FOUND_DOCUMENT);
    assert.deepEqual(executed(rig, uuid), ['answer()', 'park()']);
    assert.equal((await status())['calls_parked'], 0);
  });

  void test('enabled (silence): every destination parks; calls_parked counts the real park', async () => {
    const r = await rig.request({ command: 'dialplan.enable' });
    assert.equal(r.success, true, JSON.stringify(r));
    assert.equal(r.message, 'Park mode enabled');
    const uuid = await callIn(rig, '5501');
    await parked(rig, uuid);
    const l = lookupFor(rig, uuid);
    assert.equal(l.form.get('section'), 'dialplan');
    assert.match(l.xml, /<context name="default">/);
    assert.deepEqual(executed(rig, uuid), ['set(fsbus_park_node=cc-1)', 'park()']);
    const s = await status();
    assert.equal(s['calls_parked'], 1);
    assert.equal(s['parked_now'], 1);
  });

  void test('the park extension is served for the context FreeSWITCH asked about', async () => {
    // loopback/<ext>/<context>: the b-leg is routed in context "public".
    const box = await rig.inbox('cc.results.context');
    const a = randomUUID();
    await rig.publish({ command: 'originate', endpoint: 'loopback/5502/public', extension: '&park()', uuid: a, async: true, forward_to: 'cc.results.context' });
    const b = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.headers['Channel-Name'] === 'loopback/5502-b', 'the b-leg parked');
    const l = lookupFor(rig, b.uuid!);
    assert.equal(l.form.get('Hunt-Context'), 'public');
    assert.match(l.xml, /<context name="public">/);
    assert.equal(b.headers['variable_fsbus_park_node'], 'cc-1');
    // The a-leg waits for an answer that never comes (no autoanswer): end it, the originate reports it.
    assert.equal((await rig.request({ command: 'hangup', uuid: a })).success, true);
    const [result] = await box.count(1);
    assert.equal((JSON.parse(result!) as { code: string }).code, BusErrorCode.ORIGINATE_FAILED);
  });

  void test('ringback: ringback/transfer_ringback variables and ring_ready before park', async () => {
    const r = await rig.request({ command: 'dialplan.audio', mode: 'ringback' });
    assert.equal(r.message, 'Audio mode updated');
    const uuid = await callIn(rig, '5503');
    const park = await parked(rig, uuid);
    assert.deepEqual(executed(rig, uuid), [
      'set(fsbus_park_node=cc-1)',
      `set(ringback=${RING_TONE})`,
      `set(transfer_ringback=${RING_TONE})`,
      'ring_ready()',
      'park()',
    ]);
    assert.match(lookupFor(rig, uuid).xml, /<action application="ring_ready"\/>/);
    assert.equal(park.headers['variable_ringback'], RING_TONE);
    assert.ok(rig.events.of(uuid, 'CHANNEL_PROGRESS').length > 0, 'ring_ready signalled ringing');
  });

  void test('music: early media, then the agent plays local_stream://<class> on the parked channel', async () => {
    const r = await rig.request({ command: 'dialplan.audio', mode: 'music', music_class: 'moh' });
    assert.equal(r.success, true, JSON.stringify(r));
    const uuid = await callIn(rig, '5504');
    await parked(rig, uuid);
    const play = await playing(rig, uuid);
    assert.equal(play.headers['Application-Data'], 'local_stream://moh');
    assert.deepEqual(executed(rig, uuid), [
      'set(fsbus_park_node=cc-1)',
      'pre_answer()',
      `set(fsbus_park_audio=${MUSIC})`,
      'park()',
      'playback(local_stream://moh)',
    ]);
    assert.match(lookupFor(rig, uuid).xml, /<action application="pre_answer"\/>/);
    // Still a parked channel: the playback runs inside park (no CHANNEL_UNPARK before it).
    const names = rig.events.of(uuid).map((e) => e.event_name);
    assert.equal(names.includes('CHANNEL_UNPARK'), false, names.join(','));
  });

  void test('ringback with auto-answer: the agent plays the ring tone on the answered, parked channel', async () => {
    await rig.request({ command: 'dialplan.audio', mode: 'ringback' });
    await rig.request({ command: 'dialplan.autoanswer', enabled: true });
    try {
      const uuid = await callIn(rig, '5507');
      await parked(rig, uuid);
      const play = await playing(rig, uuid);
      assert.equal(play.headers['Application-Data'], `tone_stream://${RING_TONE};loops=-1`);
      assert.deepEqual(executed(rig, uuid).slice(0, 2), ['set(fsbus_park_node=cc-1)', 'answer()']);
    } finally {
      await rig.request({ command: 'dialplan.autoanswer', enabled: false });
      await rig.request({ command: 'dialplan.audio', mode: 'music', music_class: 'moh' });
    }
  });

  void test('music with a park timeout: the playback stops in time and park hangs up with the cause', async () => {
    await rig.request({ command: 'dialplan.timeout', seconds: 2, cause: 'NO_USER_RESPONSE' });
    try {
      const uuid = await callIn(rig, '5508');
      await parked(rig, uuid);
      await playing(rig, uuid);
      const hup = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_HANGUP' && e.uuid === uuid, 'the park timeout hangup');
      assert.equal(hup.headers['Hangup-Cause'], 'NO_USER_RESPONSE');
      const names = rig.events.of(uuid).map((e) => `${e.event_name}${e.headers['Application'] === undefined ? '' : `:${e.headers['Application']}`}`);
      // FreeSWITCH's park loop checks park_timeout only between the events it runs: the playback ended first.
      assert.ok(names.indexOf('CHANNEL_EXECUTE_COMPLETE:playback') >= 0 && names.indexOf('CHANNEL_EXECUTE_COMPLETE:playback') < names.indexOf('CHANNEL_HANGUP'), names.join(','));
    } finally {
      await rig.request({ command: 'dialplan.timeout', seconds: 0 });
    }
  });

  void test('uuid_transfer out of park: the static dialplan runs, the call is not parked (nor counted) again', async () => {
    const uuid = await callIn(rig, '5509');
    await parked(rig, uuid);
    await playing(rig, uuid);
    const before = (await status())['calls_parked'] as number;
    const r = await rig.request({ command: 'uuid_transfer', args: `${uuid} 7001 XML default` });
    assert.equal(r.success, true, JSON.stringify(r));
    // 7001 (answer, park) of the static dialplan parks it: a second CHANNEL_PARK, not our extension's.
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid && e.headers['Caller-Destination-Number'] === '7001', 'the static park');
    const second = rig.tap.lookups.filter((x) => x.form.get('Unique-ID') === uuid)[1];
    assert.equal(second?.xml, NOT_FOUND_DOCUMENT);
    assert.deepEqual(executed(rig, uuid).slice(-2), ['answer()', 'park()']);
    assert.equal(executed(rig, uuid).filter((x) => x.startsWith('playback(')).length, 1, 'no music on the static park');
    assert.equal((await status())['calls_parked'], before);
    await rig.request({ command: 'uuid_kill', args: uuid });
  });

  void test('autoanswer: answered before parking', async () => {
    await rig.request({ command: 'dialplan.audio', mode: 'silence' });
    const r = await rig.request({ command: 'dialplan.autoanswer', enabled: true });
    assert.equal(r.message, 'Auto-answer updated');
    const uuid = await callIn(rig, '5505');
    await parked(rig, uuid);
    assert.deepEqual(executed(rig, uuid), ['set(fsbus_park_node=cc-1)', 'answer()', 'park()']);
    const names = rig.events.events.filter((e) => e.uuid === uuid).map((e) => e.event_name);
    assert.ok(names.indexOf('CHANNEL_ANSWER') >= 0 && names.indexOf('CHANNEL_ANSWER') < names.indexOf('CHANNEL_PARK'), names.join(','));
    await rig.request({ command: 'dialplan.autoanswer', enabled: false });
  });

  void test('park timeout: park_timeout=<s>:<cause>, the call is hung up with that cause', async () => {
    const r = await rig.request({ command: 'dialplan.timeout', seconds: 1, cause: 'NO_USER_RESPONSE' });
    try {
      assert.equal(r.success, true, JSON.stringify(r));
      assert.equal(r.message, 'Park timeout updated');
      const uuid = await callIn(rig, '5506');
      await parked(rig, uuid);
      assert.deepEqual(executed(rig, uuid), ['set(fsbus_park_node=cc-1)', 'set(park_timeout=1:NO_USER_RESPONSE)', 'park()']);
      const hup = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_HANGUP' && e.uuid === uuid, 'the park timeout hangup');
      assert.equal(hup.headers['Hangup-Cause'], 'NO_USER_RESPONSE');
    } finally {
      await rig.request({ command: 'dialplan.timeout', seconds: 0 });
    }
  });

  void test('disable: static dialplan again', async () => {
    const r = await rig.request({ command: 'dialplan.disable' });
    assert.equal(r.message, 'Park mode disabled');
    const uuid = await callIn(rig, '7004');
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === uuid, 'the static tone extension to finish');
    assert.equal(lookupFor(rig, uuid).xml, NOT_FOUND_DOCUMENT);
    assert.deepEqual(executed(rig, uuid), ['answer()', 'playback(tone_stream://%(300,100,440);loops=2)', 'hangup(NORMAL_CLEARING)']);
  });

  void test('status data and validation messages', async () => {
    const s = await status();
    assert.deepEqual(
      { enabled: s['enabled'], mode: s['mode'], music_class: s['music_class'], autoanswer: s['autoanswer'], timeout_seconds: s['timeout_seconds'] },
      { enabled: false, mode: 'silence', music_class: 'moh', autoanswer: false, timeout_seconds: 0 },
    );
    assert.ok((s['calls_parked'] as number) >= 6);
    assert.ok((s['lookups'] as number) >= (s['lookups_parked'] as number));
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ command: 'dialplan.audio', mode: 'loud' }, 'Invalid mode. Use silence, ringback, or music'],
      [{ command: 'dialplan.audio' }, 'Invalid mode. Use silence, ringback, or music'],
      [{ command: 'dialplan.audio', mode: 'music', music_class: 'm'.repeat(64) }, 'music_class must be 63 characters or fewer'],
      [{ command: 'dialplan.audio', mode: 'music', music_class: 'moh"/><action application="hangup' }, 'music_class must contain only letters, digits, _, ., / and -'],
      [{ command: 'dialplan.autoanswer', enabled: 'yes' }, 'enabled must be a boolean flag'],
      [{ command: 'dialplan.timeout', seconds: -1 }, 'seconds must be an integer between 0 and 86400'],
      [{ command: 'dialplan.timeout', seconds: 5, cause: 'bad cause' }, 'cause must be a FreeSWITCH hangup cause: a name such as NORMAL_CLEARING, USER_BUSY, CALL_REJECTED (any case) or its number'],
      [{ command: 'dialplan.timeout', seconds: 5, cause: 'NOT_A_CAUSE' }, 'cause must be a FreeSWITCH hangup cause: a name such as NORMAL_CLEARING, USER_BUSY, CALL_REJECTED (any case) or its number'],
    ];
    for (const [req, message] of bad) {
      const r = await rig.request(req);
      assert.equal(r.success, false);
      assert.equal(r.message, message, JSON.stringify(req));
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
    }
    const agentStatus = (await rig.request({ command: 'agent.status' })).data as { park: Record<string, unknown> };
    assert.equal(agentStatus.park['available'], true);
    assert.equal(agentStatus.park['calls_parked'], s['calls_parked']);
  });

  void test('agent down: FreeSWITCH falls back to its static dialplan', async () => {
    await rig.request({ command: 'dialplan.enable' });
    await rig.stopAgent();
    const seen: string[] = [];
    let resolveHangup!: (cause: string) => void;
    const hungUp = new Promise<string>((resolve) => (resolveHangup = resolve));
    const off = rig.sim.core.onEvent((e) => {
      const dest = e.headers.find(([k]) => k === 'Caller-Destination-Number')?.[1];
      if (dest !== '7002') return;
      if (e.name === 'CHANNEL_EXECUTE') seen.push(e.headers.find(([k]) => k === 'Application')?.[1] ?? '');
      if (e.name === 'CHANNEL_HANGUP') resolveHangup(e.headers.find(([k]) => k === 'Hangup-Cause')?.[1] ?? '');
    });
    try {
      rig.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, answerRatio: 1, destination: '7002', holdMs: 600_000 });
      assert.equal(await hungUp, 'USER_BUSY');
      assert.deepEqual(seen, ['hangup']);
      assert.equal(rig.tap.lookups.at(-1)?.status, 0, 'the lookup found nobody listening');
    } finally {
      off();
    }
  });
});

void describe('park mode: persisted state, basic auth, no endpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-park-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('a restarted agent keeps the mode from its state file', async () => {
    const file = join(dir, 'park.json');
    const rig = await startRig({ dialplan: { state_file: file } });
    try {
      assert.equal((await rig.request({ command: 'dialplan.enable' })).success, true);
      assert.equal((await rig.request({ command: 'dialplan.audio', mode: 'music', music_class: 'jazz/8000' })).success, true);
      assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { enabled: boolean }).enabled, true);
      await rig.restartAgent();
      const s = (await rig.request({ command: 'dialplan.status' })).data as Record<string, unknown>;
      assert.equal(s['enabled'], true);
      assert.equal(s['mode'], 'music');
      assert.equal(s['music_class'], 'jazz/8000');
      assert.equal(s['state_file'], file);
      const uuid = await callIn(rig, '5601');
      await parked(rig, uuid);
      await playing(rig, uuid);
      assert.deepEqual(executed(rig, uuid), [
        'set(fsbus_park_node=cc-1)',
        'pre_answer()',
        'set(fsbus_park_audio=%[playback_terminators=none]local_stream://jazz/8000)',
        'park()',
        'playback(local_stream://jazz/8000)',
      ]);
    } finally {
      await rig.stop();
    }
  });

  void test('basic auth: a lookup without credentials is refused and FreeSWITCH falls back', async () => {
    const rig = await startRig({ dialplan: { user: 'fs' }, env: { FSBUS_DIALPLAN_PASSWORD: 's3cret' } });
    try {
      assert.equal((await rig.request({ command: 'dialplan.enable' })).success, true);
      const uuid = await callIn(rig, '7001');
      await parked(rig, uuid);
      assert.equal(lookupFor(rig, uuid).status, 401);
      assert.deepEqual(executed(rig, uuid), ['answer()', 'park()']);
      assert.equal(((await rig.request({ command: 'dialplan.status' })).data as Record<string, unknown>)['calls_parked'], 0);
    } finally {
      await rig.stop();
    }
  });

  void test('without an endpoint, dialplan.enable and the settings say why (they were "updated" to no effect)', async () => {
    const rig = await startRig({ endpoint: false });
    try {
      for (const req of [{ command: 'dialplan.enable' }, { command: 'dialplan.audio', mode: 'music' }, { command: 'dialplan.autoanswer', enabled: true }, { command: 'dialplan.timeout', seconds: 30 }]) {
        const r = await rig.request(req);
        assert.equal(r.success, false, req.command);
        assert.equal(r.code, BusErrorCode.PARK_UNAVAILABLE, req.command);
      }
      assert.equal((await rig.request({ command: 'dialplan.disable' })).success, true, 'disable is harmless');
      const s = (await rig.request({ command: 'dialplan.status' })).data as Record<string, unknown>;
      assert.equal(s['available'], false);
      assert.equal(s['endpoint'], null);
    } finally {
      await rig.stop();
    }
  });
});
