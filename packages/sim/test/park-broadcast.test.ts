// A playback broadcast onto a parked channel, as fsbus's park mode does it: app-scoped variables
// (`%[name=value]data`), playback_timeout_sec, park's timeout waiting for the broadcast, a
// uuid_transfer out of it, and the caller profile's Transfer-Source afterwards.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, harness, header, type Harness } from './core-capture.js';
import type { CoreEvent } from '../src/core/index.js';

const U = 'a0a0a0a0-0000-4000-8000-000000000001';

async function parkedCall(h: Harness, vars = ''): Promise<void> {
  h.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  assert.equal(await apiAt(h, 'originate', `{origination_uuid=${U}${vars}}user/1000 &park()`), `+OK ${U}\n`);
}

const of = (h: Harness, name: string, app?: string): CoreEvent[] =>
  h.events.filter((e) => e.uuid === U && e.name === name && (app === undefined || header(e, 'Application') === app));

void describe('a playback broadcast on a parked channel', () => {
  void it('runs inside park with its %[scoped] variables; park_timeout waits for it, then hangs up with its cause', async () => {
    const h = harness();
    await parkedCall(h, ',park_timeout=1:NO_USER_RESPONSE');
    assert.equal(await apiAt(h, 'uuid_broadcast', `${U} %[playback_timeout_sec=3,playback_terminators=none]local_stream://moh aleg`, 100), '+OK Message sent\n');
    const [exec] = of(h, 'CHANNEL_EXECUTE', 'playback');
    assert.ok(exec, 'the broadcast playback started');
    // switch_core_session_exec strips the scope block: the application and its events see the rest.
    assert.equal(header(exec, 'Application-Data'), 'local_stream://moh');
    assert.equal(header(exec, 'variable_playback_timeout_sec'), undefined, 'scoped, not a channel variable');
    await h.clock.advance(1500);
    // switch_ivr_park checks park_timeout between the events it runs: not while the playback plays.
    assert.equal(of(h, 'CHANNEL_HANGUP').length, 0);
    await h.clock.advance(1500);
    const [done] = of(h, 'CHANNEL_EXECUTE_COMPLETE', 'playback');
    assert.ok(done, 'playback_timeout_sec ended the endless stream');
    assert.equal(header(done, 'Application-Response'), 'PLAYBACK ERROR');
    assert.equal(header(h.events.find((e) => e.uuid === U && e.name === 'PLAYBACK_STOP')!, 'Playback-Status'), 'done');
    const [hup] = of(h, 'CHANNEL_HANGUP');
    assert.ok(hup, 'park hung up once the playback was over');
    assert.equal(header(hup, 'Hangup-Cause'), 'NO_USER_RESPONSE');
    assert.ok(h.events.indexOf(done) < h.events.indexOf(hup));
    await h.core.stop();
  });

  void it('playback_timeout_sec under 2 is ignored, as switch_ivr_play_file does', async () => {
    const h = harness();
    await parkedCall(h);
    await apiAt(h, 'uuid_broadcast', `${U} %[playback_timeout_sec=1]tone_stream://%(2000,0,440) aleg`, 1500);
    assert.equal(of(h, 'CHANNEL_EXECUTE_COMPLETE', 'playback').length, 0);
    await h.clock.advance(600);
    assert.equal(header(of(h, 'CHANNEL_EXECUTE_COMPLETE', 'playback')[0]!, 'Application-Response'), 'FILE PLAYED');
    await h.core.stop();
  });

  void it('a sendmsg waits behind the broadcast (its event-lock); uuid_break stops the playback, the call stays parked', async () => {
    const h = harness();
    await parkedCall(h);
    await apiAt(h, 'uuid_broadcast', `${U} local_stream://moh aleg`, 100);
    const execute = new Map([['call-command', 'execute'], ['execute-app-name', 'set'], ['execute-app-arg', 'after_music=1']]);
    assert.equal(h.core.sendmsg(U, { callCommand: 'execute', headers: execute, body: undefined }), '+OK');
    await h.clock.advance(1000);
    assert.equal(of(h, 'CHANNEL_EXECUTE', 'set').length, 0, 'waits while the music plays');
    assert.equal(await apiAt(h, 'uuid_break', U, 10), '+OK\n');
    assert.equal(header(h.events.find((e) => e.uuid === U && e.name === 'PLAYBACK_STOP')!, 'Playback-Status'), 'break');
    assert.equal(of(h, 'CHANNEL_EXECUTE', 'set').length, 1, 'then runs');
    assert.equal(of(h, 'CHANNEL_UNPARK').length, 0);
    assert.equal(await apiAt(h, 'uuid_break', U), '+OK\n', 'nothing to break: park goes on');
    assert.equal(of(h, 'CHANNEL_UNPARK').length, 0);
    assert.equal(await apiAt(h, 'uuid_break', 'nope'), '-ERR No such channel!\n');
    await h.core.stop();
  });

  void it('uuid_transfer stops the playback and the park; the new profile carries Transfer-Source', async () => {
    const h = harness();
    await parkedCall(h);
    await apiAt(h, 'uuid_broadcast', `${U} local_stream://moh aleg`, 100);
    assert.equal(of(h, 'CHANNEL_EXECUTE', 'playback').length, 1);
    assert.equal(await apiAt(h, 'uuid_transfer', `${U} 7004 XML default`, 100), '+OK\n');
    const names = h.events.filter((e) => e.uuid === U).map((e) => (header(e, 'Application') === undefined ? e.name : `${e.name}:${header(e, 'Application')}`));
    const stop = names.indexOf('CHANNEL_EXECUTE_COMPLETE:playback');
    assert.ok(stop >= 0 && stop < names.indexOf('CHANNEL_UNPARK'), names.join(','));
    const [answer] = of(h, 'CHANNEL_EXECUTE', 'answer');
    assert.ok(answer, '7004 runs');
    // The new caller profile's own uuid (switch_caller_profile_dup), not the channel's.
    assert.match(header(answer, 'Caller-Transfer-Source') ?? '', /^\d+:[0-9a-f-]{36}:bl_xfer:7004\/default\/XML$/);
    assert.ok(!(header(answer, 'Caller-Transfer-Source') ?? '').includes(U));
    assert.equal(header(answer, 'Caller-RDNIS'), header(of(h, 'CHANNEL_PARK')[0]!, 'Caller-Destination-Number'));
    assert.equal(header(answer, 'variable_transfer_source'), header(answer, 'Caller-Transfer-Source'));
    assert.equal(header(of(h, 'CHANNEL_PARK')[0]!, 'Caller-Transfer-Source'), undefined, 'none before a transfer');
    await h.core.stop();
  });
});
