// Session recording without media, as FreeSWITCH 1.10.12 reports it (mod_commands
// session_record_function, switch_ivr_async.c switch_ivr_record_session_event, record_callback,
// send_record_stop_event): uuid_record's replies, RECORD_START / RECORD_STOP with Record-File-Path,
// the record_* variables, the record_session application, the limit, and the hangup's stop.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, executeOn, harness, header, type Harness } from './core-capture.js';
import type { CoreEvent } from '../src/core/index.js';

const U = 'e3e3e3e3-0000-4000-8000-000000000001';
const FILE = '/tmp/rec/call.wav';

async function parkedCall(): Promise<Harness> {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  assert.equal(await apiAt(h, 'originate', `{origination_uuid=${U}}user/1000 &park()`), `+OK ${U}\n`);
  return h;
}

const of = (h: Harness, name: string): CoreEvent[] => h.events.filter((e) => e.uuid === U && e.name === name);

void describe('session recording', () => {
  void it('uuid_record start / stop: +OK Success, RECORD_START before the reply, RECORD_STOP with the record_* variables', async () => {
    const h = await parkedCall();
    assert.equal(await apiAt(h, 'uuid_record', `${U} start ${FILE}`), '+OK Success\n');
    const [start] = of(h, 'RECORD_START');
    assert.ok(start, 'RECORD_START');
    assert.equal(header(start, 'Record-File-Path'), FILE);
    assert.equal(header(start, 'Event-Calling-Function'), 'record_callback');
    assert.equal(await apiAt(h, 'uuid_record', `${U} start ${FILE}`), '+OK Success\n', 'already recording: a warning, still +OK');
    assert.equal(of(h, 'RECORD_START').length, 1);
    await h.clock.advance(2500);
    assert.equal(await apiAt(h, 'uuid_record', `${U} stop ${FILE}`), '+OK Success\n');
    const [stop] = of(h, 'RECORD_STOP');
    assert.ok(stop, 'RECORD_STOP');
    assert.equal(header(stop, 'Record-File-Path'), FILE);
    assert.equal(header(stop, 'Record-Completion-Cause'), 'success-maxtime');
    assert.equal(header(stop, 'variable_record_seconds'), '2');
    assert.equal(header(stop, 'variable_record_ms'), '2500');
    assert.equal(header(stop, 'variable_record_samples'), '20000');
    assert.equal(await apiAt(h, 'uuid_record', `${U} stop ${FILE}`), '-ERR Cannot stop record session!\n');
    await h.core.stop();
  });

  void it('uuid_record usage and errors; a relative path goes under sound_prefix', async () => {
    const h = await parkedCall();
    const usage = '-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n';
    assert.equal(await apiAt(h, 'uuid_record', `${U} start`), usage);
    assert.equal(await apiAt(h, 'uuid_record', `${U} bogus ${FILE}`), usage);
    assert.equal(await apiAt(h, 'uuid_record', `00000000-0000-0000-0000-000000000000 start ${FILE}`), '-ERR Cannot locate session!\n');
    assert.equal(await apiAt(h, 'uuid_record', `${U} pause ${FILE}`), '-ERR Cannot pause recording session!\n');
    assert.equal(await apiAt(h, 'uuid_record', `${U} start rel.wav`), '+OK Success\n');
    assert.equal(header(of(h, 'RECORD_START')[0]!, 'Record-File-Path'), '/usr/share/freeswitch/sounds/en/us/callie/rel.wav');
    await h.core.stop();
  });

  void it('the limit stops it (success-maxtime); a hangup stops the others after CHANNEL_HANGUP (success-silence)', async () => {
    const h = await parkedCall();
    assert.equal(await apiAt(h, 'uuid_record', `${U} start /tmp/a.wav 1`), '+OK Success\n');
    assert.equal(await apiAt(h, 'uuid_record', `${U} start /tmp/b.wav`), '+OK Success\n');
    await h.clock.advance(1000);
    assert.deepEqual(of(h, 'RECORD_STOP').map((e) => `${header(e, 'Record-File-Path') ?? ''} ${header(e, 'Record-Completion-Cause') ?? ''}`), ['/tmp/a.wav success-maxtime']);
    await apiAt(h, 'uuid_kill', U, 10);
    const stops = of(h, 'RECORD_STOP');
    assert.equal(stops.length, 2);
    assert.equal(header(stops[1]!, 'Record-Completion-Cause'), 'success-silence');
    const hangup = h.events.indexOf(of(h, 'CHANNEL_HANGUP')[0]!);
    const complete = h.events.indexOf(of(h, 'CHANNEL_HANGUP_COMPLETE')[0]!);
    const stopAt = h.events.indexOf(stops[1]!);
    assert.ok(hangup < stopAt && stopAt < complete, 'removed in switch_core_session_hangup_state');
    await h.core.stop();
  });

  void it('record_session +limit {vars} and stop_record_session as applications', async () => {
    const h = await parkedCall();
    assert.equal(executeOn(h, U, 'record_session', `${FILE} +5 {origin=test}`), '+OK');
    await h.clock.advance(500);
    const [start] = of(h, 'RECORD_START');
    assert.ok(start, 'RECORD_START');
    assert.equal(header(start, 'Record-File-Path'), FILE);
    assert.equal(header(start, 'Recording-Variable-origin'), 'test');
    assert.equal(executeOn(h, U, 'stop_record_session', FILE), '+OK');
    await h.clock.advance(10);
    const [stop] = of(h, 'RECORD_STOP');
    assert.ok(stop, 'RECORD_STOP');
    assert.equal(header(stop, 'Record-Completion-Cause'), 'success-maxtime');
    await h.core.stop();
  });
});
