// FreeSWITCH's `originate` text runs its extension when it is `&app(args)` (mod_commands'
// originate_function: `<call url> <exten>|&<application_name>(<app_args>) …`): wherever the policy
// reads an originate text (the generic API, bgapi, sched_api, expand, json's fsapi, a hook's API),
// that application is a verb read as the built-in's `extension` field is, its args too (a `set` of
// a hook variable, expansions). With the deploy example's denylist, `bgapi originate user/1000
// &system(id)` got through before.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BusErrorCode, BusMessage, invokedVerbs, parseRequest, type ParseOptions } from '@fsbus/contract';
import { refusedVerb } from '../src/verb-policy.js';

const example = readFileSync(fileURLToPath(new URL('../../../examples/deploy/agent.yaml', import.meta.url)), 'utf8');
const denylist = /^\s*denylist: \[([^\]]*)\]\s*$/m.exec(example)![1]!.split(',').map((v) => v.trim());
const BUILTINS = new Set(['agent.status', 'hangup', 'originate', 'execute_app']);
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

/** The verb the policy refused `body` for (checking the code and message); undefined when admitted. */
function deniedVerbOf(body: unknown, options: ParseOptions = { denylist }): string | undefined {
  const r = parseRequest(enc(body), { isBuiltin: (c) => BUILTINS.has(c.trim()), ...options });
  if (r.ok) return undefined;
  assert.equal(r.code, BusErrorCode.COMMAND_DENIED, r.message);
  assert.equal(r.message, BusMessage.COMMAND_DENIED);
  return r.hints.denied_verb;
}

const bgapi = (args: string) => deniedVerbOf({ command: 'bgapi', args });

void test('an &app(args) extension in originate text is that application', () => {
  assert.equal(bgapi('originate user/1000 &system(id)'), 'system');
  assert.equal(bgapi('originate {a=b}user/1000 &bgsystem(id)'), 'bgsystem');
  assert.equal(bgapi('originate user/1000 &lua'), 'lua');
  assert.equal(bgapi('originate user/1000 &SYSTEM(id)'), 'system');
  // Several legs, a [..] block per leg, an enterprise originate: the extension is the next argument.
  assert.equal(bgapi('originate {a=b}[c=d]user/1000,user/1001|user/1002:_:user/1003 &bgsystem(id)'), 'bgsystem');
  // Quotes keep a block's spaces in the endpoint; runs of spaces are one separator; quotes and
  // escapes are removed from the extension before its `&` is looked at.
  assert.equal(bgapi("originate {a='b c'}user/1000 &bgsystem(id)"), 'bgsystem');
  assert.equal(bgapi('originate   user/1000    &bgsystem(id)'), 'bgsystem');
  assert.equal(bgapi("originate user/1000 '&bgsystem(id)'"), 'bgsystem');
  assert.equal(bgapi("originate user/1000 &bg'system'(id)"), 'bgsystem');
  // `^^X` splits the arguments at X instead.
  assert.equal(bgapi('originate ^^;user/1000;&bgsystem(id)'), 'bgsystem');
  // The generic API with originate as its command (the built-in name refuses the text first).
  assert.equal(deniedVerbOf({ command: 'ORIGINATE', args: 'user/1000 &system(id)' }), 'system');
});

void test('the application\'s args are read: hook variables set, expansions', () => {
  assert.equal(bgapi('originate user/1000 &set(api_on_answer=system id)'), 'system');
  assert.equal(bgapi('originate user/1000 &export(execute_on_answer=bgsystem id)'), 'bgsystem');
  assert.equal(bgapi('originate user/1000 &log(INFO ${bg_system id})'), 'bg_system');
});

void test('every path to an originate text reads it', () => {
  assert.equal(deniedVerbOf({ command: 'sched_api', args: '+1 none originate user/1000 &bgsystem(id)' }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'sched_api', args: '+1 none originate user/1000 &bgsystem&' }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'expand', args: 'originate user/1000 &bgsystem(id)' }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'bgapi', args: 'expand uuid:a1b2 originate user/1000 &bgsystem(id)' }), 'bgsystem');
  const fsapi = { command: 'fsapi', data: { cmd: 'originate', arg: 'user/1000 &bgsystem(id)' } };
  assert.equal(deniedVerbOf({ command: 'json', args: JSON.stringify(fsapi) }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'uuid_setvar', args: 'a1b2 api_on_answer originate user/1000 &bgsystem(id)' }), 'bgsystem');
  assert.equal(bgapi('originate {api_on_answer=originate user/2000 &bgsystem(id)}user/1000 &park()'), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'eval', args: '${originate user/1000 &bgsystem(id)}' }), 'bgsystem');
});

void test('what cannot be read for certain is ?', () => {
  assert.equal(bgapi('originate user/1000 &${app}(id)'), '?');
  assert.equal(bgapi('originate user/1000 &bgsystem)(id)'), '?');
});

void test('a harmless extension still passes', () => {
  assert.equal(bgapi('originate user/1000 &park()'), undefined);
  assert.equal(bgapi('originate user/1000 9000 XML default'), undefined);
  assert.equal(bgapi('originate user/1000 system XML default'), undefined);
  assert.equal(bgapi('originate user/1000 & XML default'), undefined);
  // Only the extension runs: a caller-id name is no application.
  assert.equal(bgapi('originate user/1000 9000 XML default &system(id) 1000'), undefined);
  assert.equal(bgapi('originate {origination_caller_id_name=x}user/1000 &playback(/tmp/a.wav)'), undefined);
});

void test('allowlist only: unchanged, the extension is the denylist\'s (as the built-in\'s field is)', () => {
  const allowlist = ['bgapi', 'originate'];
  // As the built-in's `extension`, which the allowlist does not read either.
  assert.equal(deniedVerbOf({ command: 'originate', endpoint: 'user/1000', extension: '&system(id)' }, { allowlist }), undefined);
  assert.equal(refusedVerb('bgapi', { allowlist }, 'originate user/1000 &park()'), undefined);
  assert.equal(refusedVerb('bgapi', { allowlist }, 'originate user/1000 9000 XML default'), undefined);
  assert.equal(refusedVerb('bgapi', { allowlist }, 'originate user/1000 &system(id)'), undefined);
  assert.deepEqual(invokedVerbs('bgapi', 'originate user/1000 &system(id)'), ['bgapi', 'originate']);
  // What the text runs otherwise is the allowlist's as before (a hook's app).
  assert.equal(refusedVerb('bgapi', { allowlist }, 'originate {execute_on_answer=park}user/1000 &park()'), 'park');
  // Both lists: the denylist reads the extension.
  assert.equal(refusedVerb('bgapi', { allowlist, denylist: ['system'] }, 'originate user/1000 &system(id)'), 'system');
  // No lists: nothing read.
  assert.equal(refusedVerb('bgapi', {}, 'originate user/1000 &system(id)'), undefined);
});

void test('the built-in\'s fields: an originate text in a hook variable has its extension read too', () => {
  const call = { command: 'originate', endpoint: 'user/1000', extension: '&park()' };
  assert.equal(deniedVerbOf({ ...call, variables: { api_on_answer: 'originate user/2000 &bgsystem(id)' } }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: 'a1b2c3', app: 'set', args: 'api_on_answer=bgapi originate user/2000 &bgsystem(id)' }), 'bgsystem');
  assert.equal(deniedVerbOf({ ...call, variables: { api_on_answer: 'originate user/2000 &park()' } }), undefined);
});
