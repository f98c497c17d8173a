/**
 * db, hash, expand, strftime and sched_hangup / sched_del over the Event Socket, with FreeSWITCH
 * 1.10.12's replies; and the stock APIs the simulator does not model, which say so instead of
 * `Command not found!`.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, on } from './api-wire.js';

const U = 'e0e0e0e0-0000-4000-8000-000000000001';
const V = 'e0e0e0e0-0000-4000-8000-000000000002';

const open = apiWirePerTest({ nodeName: 'simhost' });

void it('db: insert (the value the rest of the line), select, exists, count, list, delete; !err! otherwise', async () => {
  const w = await open();
  assert.equal(await w.api('db insert/realm/k1/a/b c'), '+OK');
  assert.equal(await w.api('db insert/realm/k2/v2'), '+OK');
  assert.equal(await w.api('db insert/other/k1/x'), '+OK');
  assert.equal(await w.api('db select/realm/k1'), 'a/b c');
  assert.equal(await w.api('db insert/realm/k1/again'), '+OK');
  assert.equal(await w.api('db select/realm/k1'), 'again');
  assert.equal(await w.api('db exists/realm/k1'), 'true');
  assert.equal(await w.api('db exists/realm/nope'), 'false');
  assert.equal(await w.api('db count'), '2');
  assert.equal(await w.api('db count/realm'), '2');
  assert.equal(await w.api('db list'), 'other,realm');
  assert.equal(await w.api('db list/realm'), 'k1,k2');
  assert.equal(await w.api('db delete/realm/k1'), '+OK');
  assert.equal(await w.api('db select/realm/k1'), '-ERR no reply\n', 'an empty answer, as mod_event_socket says it');
  assert.equal(await w.api('db insert/realm/k3'), '!err!');
  assert.equal(await w.api('db count/realm/k2'), '!err!');
  assert.equal(await w.api('db frob/realm/k2'), '!err!');
  assert.equal(await w.api('db'), '!err!');
});

void it('hash: insert, insert_ifempty, select, delete_ifmatch, delete, and its usage', async () => {
  const w = await open();
  const usage = '-ERR Usage: hash insert|insert_ifempty|select|delete|delete_ifmatch/realm/key[/value]\n';
  assert.equal(await w.api('hash insert/r/k/v 1'), '+OK\n');
  assert.equal(await w.api('hash select/r/k'), 'v 1');
  assert.equal(await w.api('hash insert_ifempty/r/k/other'), '-ERR key already exists\n');
  assert.equal(await w.api('hash delete_ifmatch/r/k/other'), "-ERR Doesn't match\n");
  assert.equal(await w.api('hash delete_ifmatch/r/k/v 1'), '+OK\n');
  assert.equal(await w.api('hash delete/r/k'), '-ERR Not found\n');
  assert.equal(await w.api('hash insert_ifempty/r/k/w'), '+OK\n');
  assert.equal(await w.api('hash select/r/k'), 'w');
  // mod_hash keys its table `<realm>_<key>`.
  assert.equal(await w.api('hash select/r_/k'), '-ERR no reply\n');
  assert.equal(await w.api('hash insert/a_b/c/1'), '+OK\n');
  assert.equal(await w.api('hash select/a/b_c'), '1');
  // switch_separate_string makes no empty last word of a trailing `/`.
  assert.equal(await w.api('hash select/r/'), usage);
  assert.equal(await w.api('hash delete/r/k'), '+OK\n');
  assert.equal(await w.api('hash insert/r/k'), usage);
  assert.equal(await w.api('hash count/r/k'), usage);
  assert.equal(await w.api('hash select/r'), usage);
});

void it('expand: the argument expanded against the API event (channel data with uuid:, then globals), then the command runs', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${U},foo=bar}user/1000 7001`), `+OK ${U}\n`);
  assert.equal(await w.api(`expand uuid:${U} echo \${variable_foo} \${Caller-Destination-Number} \${unique-id} \${hostname} $\${foo}`), `bar 7001 ${U} simhost`);
  assert.equal(await w.api('expand echo [${API-Command}] [${nope}]'), '[expand] []');
  assert.equal(await w.api(`expand uuid:${U} uuid_getvar \${Unique-ID} foo`), 'bar');
  assert.equal(await w.api('expand nosuch a b'), 'INVALID COMMAND!\n-ERR Cannot execute command\n');
  assert.equal(await w.api('expand'), '-ERR No input\n');
  assert.equal(await w.api(`expand uuid:${U}`), '-ERR No input\n');
});

void it('strftime: local time, [<epoch>|]<format> with the character after `|` skipped, only switch_strftime formats', async () => {
  const w = await open();
  assert.match(await w.api('strftime'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(await w.api('strftime 1700000000| %Y'), '2023');
  assert.equal(await w.api('strftime 1700000000|%Y'), 'Y', 'strftime_api_function skips one character after the bar');
  const d = new Date(1700000000 * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  assert.equal(await w.api('strftime 1700000000| %d/%m %H:%M:%S %y %%'), `${two(d.getDate())}/${two(d.getMonth() + 1)} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} 23 %`);
  assert.equal(await w.api('strftime 1700000000| %a %b %j'), `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getDay()]!} Nov ${d.getDate() === 14 ? '318' : '319'}`);
  assert.equal(await w.api('strftime %s'), '-ERR no reply\n', '%s is not among switch_strftime conversions');
});

void it('sched_hangup +N hangs up once its second has come (ALLOTTED_TIMEOUT by default); sched_del <uuid> cancels it', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 7001`), `+OK ${U}\n`);
  assert.equal(await w.api(`originate {origination_uuid=${V}}user/1000 7001`), `+OK ${V}\n`);
  // +N runs once epoch second now + N has come: +1 may be a few ms away, +2 is a second at least.
  assert.equal(await w.api(`sched_hangup +2 ${U}`), '+OK\n');
  assert.equal(await w.api(`sched_del ${U}`), '+OK Deleted: 1\n');
  assert.equal(await w.api(`sched_hangup +3 ${V} USER_BUSY`), '+OK\n');
  const hangup = await w.until((e) => e['Event-Name'] === 'CHANNEL_HANGUP');
  assert.equal(hangup['Unique-ID'], V, 'the cancelled task, due a second earlier, did not run');
  assert.equal(hangup['Hangup-Cause'], 'USER_BUSY');
  assert.equal(await w.api(`uuid_exists ${U}`), 'true');
  assert.equal(await w.api(`sched_del ${U}`), '+OK Deleted: 0\n');
  assert.equal(await w.api(`sched_hangup +0 ${U}`), '+OK\n', '+0 hangs up at once');
  const now = await w.until(on(U, 'CHANNEL_HANGUP'));
  assert.equal(now['Hangup-Cause'], 'ALLOTTED_TIMEOUT');
  assert.equal(await w.api('sched_hangup'), '-USAGE: [+]<time> <uuid> [<cause>]\n');
  assert.equal(await w.api('sched_hangup +5 00000000-0000-0000-0000-000000000000'), '-ERR No such channel!\n');
  assert.equal(await w.api('sched_del'), '-ERR Invalid syntax\n');
});

void it('a stock API the simulator does not model says so; a name FreeSWITCH does not have is still not found', async () => {
  const w = await open();
  for (const [command, args] of [['uuid_displace', `${U} start /tmp/x.wav`], ['uuid_deflect', `${U} sip:x@y`], ['uuid_chat', `${U} hi`], ['sched_api', '+1 none status'], ['conference', 'list'], ['UUID_Displace', '']] as const) {
    assert.equal(await w.api(`${command} ${args}`.trim()), `-ERR ${command} is not modelled by the simulator\n`);
  }
  assert.equal(await w.api('no_such_command_xyz'), '-ERR no_such_command_xyz Command not found!\n');
  assert.equal(await w.api('module_exists mod_commands'), 'true');
});
