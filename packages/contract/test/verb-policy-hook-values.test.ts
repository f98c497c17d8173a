// Hook variable values as FreeSWITCH reads them (security review): the value's end in a `{…}` block
// or a uuid_setvar_multi list (switch_event_create_brackets, switch_separate_string: nested braces,
// quotes and `\` escapes), `ARRAY::a|:b` values (every element runs), indexed names (`name[0]=`),
// and a bound on hooks set by hooks (uuid_setvar in api_hangup_hook in …): a result, never a throw.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, parseRequest } from '@fsbus/contract';
import { refusedVerb } from '../src/verb-policy.js';

const DENY = { denylist: ['system', 'bg_system', 'lua', 'jsrun'] };

void test('a hook value ends where FreeSWITCH ends it: ${…} braces, quotes and \\, keep it whole', () => {
  for (const [command, args] of [
    ['originate', '{api_hangup_hook=sched_api +1 ${uuid} system touch /tmp/p}user/1000 &park()'],
    ['originate', "{api_hangup_hook='sched_api +1 a,b system touch /tmp/p'}user/1000 &park()"],
    ['originate', '{api_hangup_hook=sched_api +1 a\\,b system touch /tmp/p}user/1000 &park()'],
    ['originate', '{api_hangup_hook=sched_api +1 a;b system touch /tmp/p}user/1000 &park()'],
    ['originate', '{api_hangup_hook=sched_api +1 a] system touch /tmp/p}user/1000 &park()'],
    ['originate', "{api_hangup_hook=sys'tem' id}user/1000 &park()"],
    ['originate', "{'api_hangup_hook=sys'tem id}user/1000 &park()"],
    ['originate', '{^^qapi_hangup_hook=bgapi systemqfoo=bar}user/1000 &park()'],
    ['uuid_setvar_multi', 'abc api_hangup_hook=sched_api +1 ${uuid} system touch /tmp/p'],
    ['uuid_setvar_multi', 'abc api_hangup_hook=sched_api +1 a,b system touch /tmp/p'],
    ['uuid_setvar_multi', 'abc x=[;api_hangup_hook=sched_api +1 a] system x'],
  ] as const) {
    assert.equal(refusedVerb(command, DENY, args), 'system', `${command} ${args}`);
  }
});

void test('ARRAY:: values: every element is read', () => {
  for (const [command, args] of [
    ['uuid_setvar', 'abc execute_on_answer ARRAY::system x|:playback y'],
    ['uuid_setvar', 'abc execute_on_answer ARRAY::playback y|:system x'],
    ['uuid_setvar', 'abc api_on_answer ARRAY::system x'],
    ['originate', '{execute_on_answer=ARRAY::system x}user/1000 &park()'],
    ['originate', '{execute_on_answer=ARRAY::playback /tmp/a.wav|:system x}user/1000 &park()'],
    ['uuid_setvar_multi', 'abc api_on_answer=ARRAY::system x'],
  ] as const) {
    assert.equal(refusedVerb(command, DENY, args), 'system', `${command} ${args}`);
  }
  const allow = { allowlist: ['originate', 'park', 'playback'] };
  assert.equal(refusedVerb('originate', allow, '{execute_on_answer=ARRAY::playback /tmp/a.wav|:playback /tmp/b.wav}user/1000 &park()'), undefined);
});

void test('a hook whose API or application name is built from a variable is unreadable', () => {
  for (const [command, args] of [
    ['originate', '{execute_on_answer=${x}}user/1000 &park()'],
    ['originate', '{execute_on_answer=${x} arg}user/1000 &park()'],
    ['uuid_setvar', 'abc api_hangup_hook ${x} y'],
  ] as const) {
    assert.equal(refusedVerb(command, DENY, args), '?', `${command} ${args}`);
  }
  // A variable in an ordinary variable's value, or in a hook's arguments, is no verb.
  assert.equal(refusedVerb('uuid_setvar', DENY, 'abc foo ${x}'), undefined);
  assert.equal(refusedVerb('originate', DENY, '{execute_on_answer=playback ${sound_prefix}/a.wav}user/1000 &park()'), undefined);
});

void test('indexed names: name[n]= sets the variable name', () => {
  for (const [command, args] of [
    ['originate', '{execute_on_answer[0]=system x}user/1000 &park()'],
    ['originate', '{api_hangup_hook[1]=system x}user/1000 &park()'],
    ['uuid_setvar_multi', 'abc execute_on_answer[0]=system x'],
    ['uuid_setvar', 'abc execute_on_answer[0] system x'],
    ['uuid_setvar', 'abc api_hangup_hook[0] system x'],
  ] as const) {
    assert.equal(refusedVerb(command, DENY, args), 'system', `${command} ${args}`);
  }
});

void test('hooks setting hooks: nesting is bounded, refused as unreadable or by the verb, never a throw', () => {
  const D = { denylist: ['system'] };
  for (const n of [8, 10, 30]) {
    const chain = Array.from({ length: n }, () => 'api_hangup_hook uuid_setvar a').join(' ');
    const r = refusedVerb('uuid_setvar', D, `a ${chain} api_hangup_hook system x`);
    assert.ok(r === 'system' || r === '?', `N=${n}: ${String(r)}`);
    const spaced = Array.from({ length: n }, () => 'api_hangup_hook  uuid_setvar  a').join('  ');
    const s = refusedVerb('uuid_setvar', D, `a  ${spaced}  api_hangup_hook  system x`);
    assert.ok(s === 'system' || s === '?', `N=${n} spaced: ${String(s)}`);
    const block = `{api_on_answer=${Array.from({ length: n }, () => 'uuid_setvar a api_hangup_hook').join(' ')} system x}user/1000 &park()`;
    const b = refusedVerb('originate', D, block);
    assert.ok(b === 'system' || b === '?', `N=${n} block: ${String(b)}`);
  }
  // Harmless at the bottom: still refused past the depth (cannot be read for certain), never admitted by a throw.
  const deep = `a ${Array.from({ length: 30 }, () => 'api_hangup_hook uuid_setvar a').join(' ')} api_hangup_hook uptime`;
  assert.equal(refusedVerb('uuid_setvar', D, deep), '?');
  // A 64 KB crafted request: a reply (denied), not a stack overflow.
  const unit = 'api_hangup_hook  uuid_setvar  a  ';
  const crafted = `a  ${unit.repeat(Math.floor(65_000 / unit.length))}api_hangup_hook system x`;
  const r = parseRequest(new TextEncoder().encode(JSON.stringify({ command: 'uuid_setvar', args: crafted })), D);
  assert.equal(!r.ok && r.code, BusErrorCode.COMMAND_DENIED);
  const hooks = `{${'api_on_answer=bgapi uuid_setvar a api_hangup_hook  bgapi  '.repeat(1000)}system x}user/1000 &park()`;
  const h = parseRequest(new TextEncoder().encode(JSON.stringify({ command: 'originate', args: hooks })), D);
  assert.equal(!h.ok && h.code, BusErrorCode.COMMAND_DENIED);
});

void test('ordinary commands still pass', () => {
  const lists = [
    DENY,
    { allowlist: ['uuid_setvar', 'uuid_setvar_multi', 'originate', 'park', 'playback', 'uuid_broadcast', 'eval', 'bgapi', 'status', 'uuid_kill', 'sched_api'] },
  ];
  for (const [command, args] of [
    ['uuid_setvar', 'abc foo bar'],
    ['uuid_setvar', 'abc sip_h_X-Foo bar=baz'],
    ['originate', '{origination_caller_id_number=1000}user/1000 &park()'],
    ['originate', '{origination_caller_id_number=1000,ignore_early_media=true}user/1000 &playback(/tmp/x.wav)'],
    ['originate', "{origination_caller_id_name='Sales (main)'}user/1000 &park()"],
    ['uuid_broadcast', 'abc /tmp/x.wav aleg'],
    ['uuid_broadcast', 'abc playback::${sound_prefix}/x.wav both'],
    ['uuid_setvar_multi', 'abc a=1;b=2'],
    ['eval', '${domain}'],
    ['originate', '{execute_on_answer=playback /tmp/x.wav}user/1000 &park()'],
    ['originate', "{execute_on_answer='playback /tmp/x.wav',foo=bar}user/1000 &park()"],
    ['originate', '{execute_on_answer=park}user/1000 &park()'],
    ['uuid_setvar_multi', 'abc foo=bar;execute_on_answer=playback /tmp/x.wav'],
    ['uuid_setvar', 'abc execute_on_answer playback /tmp/x.wav'],
    ['originate', '{api_on_answer=bgapi status}user/1000 &park()'],
    ['originate', '{api_on_answer=bgapi status,foo=bar}user/1000 &park()'],
    ['originate', '{api_on_answer=uuid_kill ${uuid}}user/1000 &park()'],
    ['originate', '{api_hangup_hook=sched_api +1 none status}user/1000 &park()'],
  ] as const) {
    for (const policy of lists) assert.equal(refusedVerb(command, policy, args), undefined, `${command} ${args} ${JSON.stringify(policy)}`);
  }
});
