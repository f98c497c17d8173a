// What the verb policy reads besides the command line's own verbs (security review): an API called
// as `${name args}` (a blank instead of brackets, as switch_channel_expand_variables_check reads it),
// the application uuid_broadcast / sched_broadcast run (`app::args`), the API or application a
// channel variable FreeSWITCH runs would run (api_hangup_hook, execute_on_answer…), and a bound on
// the work of reading expansions.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, BusMessage, parseRequest, invokedVerbs, isVerbPermitted } from '@fsbus/contract';
import { refusedVerb } from '../src/verb-policy.js';

const DENY = { denylist: ['shutdown', 'fsctl', 'load', 'unload', 'reload', 'system', 'bg_system', 'spawn', 'bg_spawn', 'lua', 'luarun', 'hupall'] };

void test('${name args}: the API name ends at the first blank or (, nested forms included', () => {
  assert.equal(refusedVerb('eval', DENY, '${system touch /tmp/pwned}'), 'system');
  assert.equal(refusedVerb('eval', DENY, '${hupall NORMAL_CLEARING}'), 'hupall');
  assert.equal(refusedVerb('eval', DENY, 'x ${echo ${system id}}'), 'system');
  assert.equal(refusedVerb('eval', DENY, '${expand echo ${bgapi system id}}'), 'system');
  // FreeSWITCH cuts the arguments at the first unmatched ): bgapi runs `system(id`, no API.
  assert.deepEqual(invokedVerbs('eval', '${bgapi system(id)}'), ['eval', 'bgapi', 'system(id']);
  assert.equal(refusedVerb('eval', DENY, '${system(id)}'), 'system');
  assert.deepEqual(invokedVerbs('eval', '${bgapi system id}'), ['eval', 'bgapi', 'system']);
  // A variable has neither blank nor (: no call.
  assert.equal(isVerbPermitted('eval', { allowlist: ['eval'] }, '${domain} ${caller_id_name}'), true);
  assert.equal(isVerbPermitted('eval', { allowlist: ['eval', 'uptime'] }, '${uptime now}'), true);
  assert.equal(isVerbPermitted('eval', { allowlist: ['eval'] }, '${uptime now}'), false);
});

void test('uuid_broadcast and sched_broadcast: the app of app::args is a verb', () => {
  assert.equal(refusedVerb('uuid_broadcast', DENY, 'a1b2 system::touch_/tmp/pwned aleg'), 'system');
  assert.equal(refusedVerb('uuid_broadcast a1b2 SYSTEM::id', DENY), 'system');
  assert.equal(refusedVerb('sched_broadcast', DENY, '+5 a1b2 system::id both'), 'system');
  assert.equal(refusedVerb('bgapi', DENY, 'uuid_broadcast a1b2 system!normal_clearing::id'), 'system');
  assert.equal(refusedVerb('eval', DENY, '${uuid_broadcast a1b2 lua::x.lua}'), 'lua');
  assert.deepEqual(invokedVerbs('uuid_broadcast', 'a1b2 playback::/tmp/a.wav aleg'), ['uuid_broadcast', 'playback']);
  // A path plays a file: no app named.
  assert.deepEqual(invokedVerbs('uuid_broadcast', 'a1b2 /tmp/a.wav aleg'), ['uuid_broadcast']);
  assert.equal(isVerbPermitted('uuid_broadcast', { allowlist: ['uuid_broadcast'] }, 'a1b2 /tmp/a.wav'), true);
});

void test('channel variables FreeSWITCH runs: their API or app is a verb, however they are set', () => {
  for (const [command, args] of [
    ['uuid_setvar', 'a1b2 api_hangup_hook system touch /tmp/pwned'],
    ['uuid_setvar', 'a1b2 API_REPORTING_HOOK bgapi system id'],
    ['uuid_setvar', 'a1b2 execute_on_answer system::id'],
    ['uuid_setvar', 'a1b2 execute_on_answer_2 system id'],
    ['uuid_setvar_multi', 'a1b2 foo=bar;api_on_answer=system id;x=y'],
    ['originate', '{api_on_answer=system id,foo=bar}user/1000 &park()'],
    ['originate', "[execute_on_media='system id']user/1000 &park()"],
    ['originate', '<exec_after_bridge_app=system>user/1000 &park()'],
    ['originate', '{bridge_pre_execute_bleg_app=system,bridge_pre_execute_bleg_data=id}user/1000 &park()'],
    ['originate', '{api_after_bridge=system id}user/1000 &park()'],
    ['originate', '{api_on_pre_originate=hupall}user/1000 &park()'],
    ['uuid_broadcast', 'a1b2 set::api_hangup_hook=system'],
    ['bgapi', 'uuid_broadcast a1b2 export::nolocal:execute_on_ring=lua x.lua'],
    ['json', JSON.stringify({ command: 'execute', data: { uuid: 'u', app: 'set', arg: 'api_hangup_hook=system id' } })],
    ['json', '{"command":"execute","data":{"uuid":"u","app":"set","arg":"api_hangup_hook\\u003dsystem id"}}'],
    ['eval', '${uuid_setvar a1b2 api_hangup_hook system id}'],
  ] as const) {
    assert.notEqual(refusedVerb(command, DENY, args), undefined, `${command} ${args}`);
  }
  assert.deepEqual(invokedVerbs('uuid_setvar', 'a1b2 api_hangup_hook bgapi system id'), ['uuid_setvar', 'bgapi', 'system']);
  assert.deepEqual(invokedVerbs('uuid_setvar', 'a1b2 execute_on_answer playback:/tmp/a.wav'), ['uuid_setvar', 'playback']);
  // Other variables' values are not verbs.
  const allow = { allowlist: ['uuid_setvar', 'uuid_setvar_multi', 'originate'] };
  assert.equal(isVerbPermitted('uuid_setvar', allow, 'a1b2 effective_caller_id_name system'), true);
  assert.equal(isVerbPermitted('uuid_setvar_multi', allow, 'a1b2 foo=system;bar=lua'), true);
  assert.equal(isVerbPermitted('originate', allow, '{origination_caller_id_name=system,my_api_hangup_hook=system}user/1000 &park()'), true);
  assert.equal(isVerbPermitted('uuid_setvar', allow, 'a1b2 api_hangup_hook_x system'), true);
  // Unsetting a hook runs nothing.
  assert.deepEqual(invokedVerbs('uuid_setvar', 'a1b2 api_hangup_hook'), ['uuid_setvar']);
  assert.equal(isVerbPermitted('originate', allow, '{execute_on_answer=}user/1000 &park()'), true);
  assert.equal(isVerbPermitted('originate', { allowlist: ['originate', 'park'] }, '{execute_on_answer=park}user/1000 &park()'), true);
});

void test('expansion reading has a work budget: a crafted nest is refused as unreadable, not read for seconds', () => {
  const crafted = '${x('.repeat(63) + 'x '.repeat(32_000);
  const r = parseRequest(new TextEncoder().encode(JSON.stringify({ command: 'eval', args: crafted })), DENY);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, BusErrorCode.COMMAND_DENIED);
  assert.equal(!r.ok && r.message, BusMessage.COMMAND_DENIED);
  assert.equal(!r.ok && r.hints.denied_verb, '?');
  // Ordinary nesting over a large argument is still read.
  assert.equal(isVerbPermitted('eval', DENY, '${a(${b(${c(' + 'x '.repeat(20_000) + ')})})}'), true);
  assert.equal(isVerbPermitted('eval', {}, crafted), true, 'no lists: nothing is read');
});
