/**
 * Applications a stock FreeSWITCH 1.10.12 has but the simulator may not model: the simple
 * mod_dptools ones do what FreeSWITCH does (log, info, unset, multiset, multiunset,
 * sched_hangup); any other stock name runs as a no-op with its events; only a name FreeSWITCH
 * does not have is an `Invalid Application` that hangs the call up.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, executeOn, header, parkedLeg } from './core-capture.js';
import type { Harness } from './core-capture.js';

const U = '22222222-0000-4000-8000-000000000001';

const parked = (): ReturnType<typeof parkedLeg> => parkedLeg(U);
const execute = (h: Harness, app: string, arg: string): string => executeOn(h, U, app, arg);

/** The CHANNEL_EXECUTE_COMPLETE events of the parked leg, as `application(response)`. */
const completed = (h: Harness): string[] =>
  h.events.filter((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.uuid === U).map((e) => `${header(e, 'Application') ?? ''}(${header(e, 'Application-Response') ?? ''})`);

void describe('stock applications', () => {
  void it('log writes its line at the level given and the call goes on', async () => {
    const h = await parked();
    assert.equal(execute(h, 'log', 'INFO hi there'), '+OK');
    assert.equal(execute(h, 'log', 'no_level words'), '+OK');
    assert.equal(execute(h, 'LOG', 'just-one-word'), '+OK');
    const lines = h.logs.filter((l) => l.func === 'log_function').map((l) => [l.level, l.func, l.line, l.uuid, l.text.replace(/^.*?\] /, '')]);
    assert.deepEqual(lines, [
      [6, 'log_function', 1865, U, 'mod_dptools.c:1865 hi there\n'],
      [7, 'log_function', 1865, U, 'mod_dptools.c:1865 words\n'],
      [7, 'log_function', 1865, U, 'mod_dptools.c:1865 just-one-word\n'],
    ]);
    assert.deepEqual(completed(h), ['log(_none_)', 'log(_none_)', 'log(_none_)'], 'FreeSWITCH reports the registered name');
    assert.equal(await apiAt(h, 'uuid_exists', U), 'true');
    assert.equal(h.events.some((e) => e.name === 'CHANNEL_HANGUP'), false);
    await h.core.stop();
  });

  void it('info logs the channel data unencoded, at INFO or the level given', async () => {
    const h = await parked();
    await apiAt(h, 'uuid_setvar', `${U} fsbus_x a b`);
    execute(h, 'info', '');
    execute(h, 'info', 'debug');
    execute(h, 'info', 'no_such_level');
    const infos = h.logs.filter((l) => l.func === 'info_function');
    assert.deepEqual(infos.map((l) => l.level), [6, 7], 'an invalid level is above every filter: no line');
    const text = infos[0]?.text ?? '';
    assert.match(text, /\] mod_dptools\.c:1884 CHANNEL_DATA:\nChannel-State: \[CS_EXECUTE\]\n/);
    assert.match(text, new RegExp(`\nUnique-ID: \\[${U}\\]\n`));
    assert.match(text, /\nvariable_fsbus_x: \[a b\]\n/);
    assert.ok(text.endsWith(']\n\n\n'), 'switch_event_serialize ends with a blank line, the format adds one more');
    await h.core.stop();
  });

  void it('unset, multiset and multiunset change the channel variables like base_set', async () => {
    const h = await parked();
    await apiAt(h, 'uuid_setvar', `${U} fsbus_old 1`);
    execute(h, 'unset', 'fsbus_old');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_old`), '_undef_');
    await apiAt(h, 'uuid_setvar', `${U} fsbus_pre p`);
    execute(h, 'multiset', "fsbus_a=1 fsbus_b,two  fsbus_c='x y' fsbus_d=${fsbus_pre}!");
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_a`), '1');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_b`), 'two');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_c`), 'x y');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_d`), 'p!');
    execute(h, 'multiset', '^^;fsbus_e=p q;fsbus_f=r');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_e`), 'p q');
    execute(h, 'multiunset', 'fsbus_a fsbus_e');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_a`), '_undef_');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_e`), '_undef_');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_f`), 'r');
    execute(h, 'unset', '');
    const texts = h.logs.filter((l) => l.file === 'mod_dptools.c').map((l) => l.text.replace(/^.*?\] /, ''));
    assert.ok(texts.includes('mod_dptools.c:1816 UNSET [fsbus_old]\n'));
    assert.ok(texts.includes('mod_dptools.c:1671 SET loopback/7001-a [fsbus_c]=[x y]\n'));
    assert.ok(texts.includes('mod_dptools.c:1814 No variable name specified.\n'));
    await h.core.stop();
  });

  void it('sched_hangup +N hangs up once its second has come, with the cause given', async () => {
    const h = await parked();
    execute(h, 'sched_hangup', '+2 USER_BUSY');
    await h.clock.advance(900);
    assert.equal(h.events.some((e) => e.name === 'CHANNEL_HANGUP'), false, 'not before the second after next');
    await h.clock.advance(1200);
    const hangup = h.events.find((e) => e.name === 'CHANNEL_HANGUP' && e.uuid === U);
    assert.equal(hangup === undefined ? undefined : header(hangup, 'Hangup-Cause'), 'USER_BUSY');
    await h.core.stop();
  });

  void it('sched_hangup +0 hangs up at once with ALLOTTED_TIMEOUT', async () => {
    const h = await parked();
    execute(h, 'sched_hangup', '+0');
    const hangup = h.events.find((e) => e.name === 'CHANNEL_HANGUP' && e.uuid === U);
    assert.equal(hangup === undefined ? undefined : header(hangup, 'Hangup-Cause'), 'ALLOTTED_TIMEOUT');
    await h.core.stop();
  });

  void it('a stock application the simulator does not model runs as a no-op with its events and a warning', async () => {
    const h = await parked();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      execute(h, 'endless_playback', 'local_stream://moh');
      execute(h, 'Endless_Playback', 'local_stream://moh');
      execute(h, 'record', '/tmp/x.wav');
      // process warnings are emitted on the next tick
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(completed(h), ['endless_playback(_none_)', 'endless_playback(_none_)', 'record(_none_)']);
    const started = h.events.filter((e) => e.name === 'CHANNEL_EXECUTE' && e.uuid === U && header(e, 'Application') !== 'park');
    assert.deepEqual(started.map((e) => `${header(e, 'Application') ?? ''}:${header(e, 'Application-Data') ?? ''}`), [
      'endless_playback:local_stream://moh', 'endless_playback:local_stream://moh', 'record:/tmp/x.wav',
    ]);
    assert.deepEqual(warnings, [
      "FsbusSimWarning: application 'endless_playback' is not modelled by the simulator: it ran as a no-op",
      "FsbusSimWarning: application 'record' is not modelled by the simulator: it ran as a no-op",
    ]);
    assert.equal(h.events.some((e) => e.name === 'CHANNEL_HANGUP'), false);
    await h.core.stop();
  });

  void it('a name FreeSWITCH does not have is an Invalid Application: hangup, no event', async () => {
    const h = await parked();
    execute(h, 'no_such_app_xyz', 'x');
    assert.ok(h.logs.some((l) => l.level === 3 && l.text.endsWith('switch_core_session.c:2766 Invalid Application no_such_app_xyz\n')));
    const hangup = h.events.find((e) => e.name === 'CHANNEL_HANGUP' && e.uuid === U);
    assert.equal(hangup === undefined ? undefined : header(hangup, 'Hangup-Cause'), 'DESTINATION_OUT_OF_ORDER');
    assert.equal(h.events.some((e) => e.name === 'CHANNEL_EXECUTE' && header(e, 'Application') === 'no_such_app_xyz'), false);
    await h.core.stop();
  });
});
