import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_FIXTURES, apiAt, fixturesDir, harness, header } from './core-capture.js';

const U = '11111111-0000-4000-8000-000000000001';
const ORIGINATE_7001 = `{origination_uuid=${U},origination_caller_id_name=Alice,origination_caller_id_number=1001}loopback/7001 &park()`;

interface Step { api?: string; reply: string }
function scenario(): Step[] {
  return JSON.parse(readFileSync(join(fixturesDir() ?? '', 'shared-scenario.json'), 'utf8')) as Step[];
}

void describe('SimCore api: FreeSWITCH texts', () => {
  void it('answers the simple commands like the transcript', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'no_such_command_xyz', ''), '-ERR no_such_command_xyz Command not found!\n');
    assert.equal(await apiAt(h, 'show', 'channels as json'), '{"row_count": 0}\n');
    assert.equal(await apiAt(h, 'show', 'channels'), '\n0 total.\n');
    assert.equal(await apiAt(h, 'show', 'calls'), '\n0 total.\n');
    assert.equal(await apiAt(h, 'show', 'calls as json'), '{"row_count": 0}\n');
    assert.equal(await apiAt(h, 'uuid_kill', '00000000-0000-0000-0000-000000000000'), '-ERR No such channel!\n');
    assert.equal(await apiAt(h, 'uuid_exists', '00000000-0000-0000-0000-000000000000'), 'false');
    assert.equal(await apiAt(h, 'originate', 'error/USER_BUSY &park()'), '-ERR USER_BUSY\n');
    assert.equal(await apiAt(h, 'global_getvar', 'no_such_var_xyz'), '-ERR no reply\n');
    assert.equal(await apiAt(h, 'echo', 'hello world'), 'hello world');
    assert.equal(await apiAt(h, 'module_exists', 'mod_event_socket'), 'true');
    assert.equal(await apiAt(h, 'module_exists', 'mod_nope'), 'false');
    assert.equal(await apiAt(h, 'eval', '${hostname}'), 'vm');
    assert.match(await apiAt(h, 'create_uuid', ''), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(await apiAt(h, 'version', ''), /^FreeSWITCH Version \d+\.\d+\.\d+-release\+git~\d+T\d+Z~a\d+d\d+d\d+f~\d+bit \(git a\d+d\d+ \d+-\d+-\d+ \d+:\d+:\d+Z \d+bit\)\n$/);
    const status = (await apiAt(h, 'status', '')).split('\n');
    assert.match(status[0] ?? '', /^UP \d+ years, \d+ days, \d+ hours, \d+ minutes?, \d+ seconds?, \d+ milliseconds?, \d+ microseconds?$/);
    assert.equal(status[1], 'FreeSWITCH (Version 1.10.12-release git a88d069 2024-08-02 21:02:27Z 64bit) is ready');
    assert.equal(status.length, 9);
    assert.equal(await apiAt(h, 'global_setvar', 'fsbus_x=1'), '+OK');
    assert.equal(await apiAt(h, 'global_getvar', 'fsbus_x'), '1');
    assert.equal(await apiAt(h, 'reloadxml', ''), '+OK [Success]\n');
    assert.equal(await apiAt(h, 'uuid_getvar', 'nope x'), '-ERR No such channel!\n');
    assert.equal(await apiAt(h, 'uuid_bridge', 'a b'), '-ERR Invalid uuid\n');
    assert.equal(await apiAt(h, 'uuid_broadcast', 'nope tone_stream://%(1,0,1)'), '-ERR invalid uuid\n');
    assert.equal(await apiAt(h, 'originate', ''), '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n');
    assert.equal(await apiAt(h, 'hupall', ''), '+OK hangup all channels with cause MANAGER_REQUEST\n');
    assert.match(await apiAt(h, 'sofia', 'status'), / {17}internal\tprofile\t {2} +sip:mod_sofia@127\.0\.0\.1:5060\tRUNNING \(0\)\n/);
    assert.equal(await apiAt(h, 'uptime', 's'), '0\n');
    await h.core.stop();
  });

  void it('uuid_setvar / uuid_setvar_multi / uuid_getvar / uuid_exists on a live channel', async () => {
    const h = harness();
    await apiAt(h, 'originate', ORIGINATE_7001);
    assert.equal(await apiAt(h, 'uuid_exists', U), 'true');
    assert.equal(await apiAt(h, 'uuid_setvar', `${U} fsbus_a hello world`), '+OK\n');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} fsbus_a`), 'hello world');
    assert.equal(await apiAt(h, 'uuid_setvar_multi', `${U} x=1;y=2`), '+OK\n');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} y`), '2');
    assert.equal(await apiAt(h, 'uuid_getvar', `${U} nothing_here`), '_undef_');
    // eval reads the channel's CHANNEL_DATA headers: its variables as variable_<name>.
    assert.equal(await apiAt(h, 'eval', `uuid:${U} \${variable_fsbus_a}/\${variable_x}`), 'hello world/1');
    const dumpPlain = await apiAt(h, 'uuid_dump', `${U} plain`);
    assert.match(dumpPlain, /^Event-Name: \[CHANNEL_DATA\]\n/);
    assert.match(dumpPlain, /\nvariable_fsbus_a: \[hello world\]\n/);
    const dumpText = await apiAt(h, 'uuid_dump', U);
    assert.match(dumpText, /\nvariable_fsbus_a: hello%20world\n/);
    assert.ok(dumpText.endsWith('\n\n'));
    assert.equal(await apiAt(h, 'hupall', 'NORMAL_CLEARING fsbus_a nope'), '+OK hangup all channels matching [fsbus_a]=[nope] with cause: NORMAL_CLEARING\n');
    assert.equal(await apiAt(h, 'uuid_exists', U), 'true');
    // A variable without a value filters nothing (mod_commands: `if (!val) var = NULL`): everything goes.
    assert.equal(await apiAt(h, 'hupall', 'NORMAL_CLEARING fsbus_a'), '+OK hangup all channels with cause NORMAL_CLEARING\n');
    assert.equal(await apiAt(h, 'uuid_exists', U), 'false');
    await h.core.stop();
  });

  void it('show channels / calls with a live call, plain and json', { skip: NO_FIXTURES }, async () => {
    const h = harness();
    await apiAt(h, 'originate', ORIGINATE_7001);
    const captured = JSON.parse(scenario().find((s) => s.api === 'show channels as json')?.reply ?? '{}') as { row_count: number; rows: Array<Record<string, string>> };
    const json = JSON.parse(await apiAt(h, 'show', 'channels as json')) as typeof captured;
    assert.equal(json.row_count, 2);
    assert.deepEqual(Object.keys(json.rows[0] ?? {}), Object.keys(captured.rows[0] ?? {}));
    const volatile = new Set(['uuid', 'created', 'created_epoch', 'hostname', 'call_uuid', 'application', 'application_data']);
    for (const [i, row] of captured.rows.entries()) {
      for (const [k, v] of Object.entries(row)) if (!volatile.has(k)) assert.equal(json.rows[i]?.[k], v, `row ${i} ${k}`);
    }
    const plain = await apiAt(h, 'show', 'channels');
    const lines = plain.split('\n');
    assert.equal(lines[0], Object.keys(captured.rows[0] ?? {}).join(','));
    assert.ok(plain.endsWith('\n\n2 total.\n'));
    const calls = await apiAt(h, 'show', 'calls');
    assert.ok(calls.endsWith('\n\n2 total.\n'), 'two loopback legs, no bridge: two rows');
    assert.match(calls.split('\n')[0] ?? '', /^uuid,direction,.*,b_uuid,.*,call_created_epoch$/);
    assert.equal(await apiAt(h, 'show', 'channels count'), '\n2 total.\n');
    await h.core.stop();
  });

  void it('uuid_dump json has the captured CHANNEL_DATA header order', { skip: NO_FIXTURES }, async () => {
    const h = harness();
    await apiAt(h, 'originate', ORIGINATE_7001);
    const execute = new Map([['call-command', 'execute'], ['execute-app-name', 'playback'], ['execute-app-arg', 'tone_stream://%(200,0,440)']]);
    h.core.sendmsg(U, { callCommand: 'execute', headers: execute, body: undefined });
    await h.clock.advance(500);
    await apiAt(h, 'uuid_broadcast', `${U} tone_stream://%(100,0,600) aleg`, 500);
    const captured = JSON.parse(scenario().find((s) => s.api === `uuid_dump ${U} json`)?.reply ?? '{}') as Record<string, string>;
    const dump = JSON.parse(await apiAt(h, 'uuid_dump', `${U} json`)) as Record<string, string>;
    assert.deepEqual(Object.keys(dump), Object.keys(captured));
    assert.equal(dump['Event-Calling-Function'], 'uuid_dump_function');
    assert.equal(dump['variable_current_application_response'], 'FILE PLAYED');
    assert.equal(dump['variable_playback_ms'], '100');
    await h.core.stop();
  });

  void it('bgapi: BACKGROUND_JOB after the job ran, an empty output gives an empty body', async () => {
    const h = harness();
    h.core.bgapi('global_getvar', 'no_such_var', 'job-empty');
    h.core.bgapi('echo', 'hi there', 'job-echo');
    assert.equal(h.events.length, 0);
    await h.clock.advance(0);
    const jobs = h.events.filter((e) => e.name === 'BACKGROUND_JOB');
    assert.deepEqual(jobs.map((e) => [header(e, 'Job-UUID'), header(e, 'Job-Command'), header(e, 'Job-Command-Arg'), e.body]), [
      ['job-empty', 'global_getvar', 'no_such_var', ''],
      ['job-echo', 'echo', 'hi there', 'hi there'],
    ]);
    assert.equal(h.events[0]?.name, 'API');
    await h.core.stop();
  });

  void it('api replies wait for setLatency', async () => {
    const h = harness();
    h.core.control.setLatency(200);
    let reply: string | undefined;
    const p = h.core.api('echo', 'late').then((r) => (reply = r));
    await h.clock.advance(199);
    assert.equal(reply, undefined);
    await h.clock.advance(1);
    await p;
    assert.equal(reply, 'late');
    await h.core.stop();
  });
});
