// The denylist reads what a built-in command runs, from its structured fields, as it reads the
// same FreeSWITCH text elsewhere: execute_app's `app` is an application (uuid_broadcast's
// `<app>::<args>`, json's execute) and its `args` an application's arguments (a `set` of a hook
// variable, expansions); `vars` and originate's `variables` are hook variables set
// (uuid_setvar, an originate `{…}` block); originate's `&app(args)` extension is that application.
// With the deploy example's denylist, `execute_app` with `app: bgsystem` got through before.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BusErrorCode, BusMessage, parseRequest, type ParseOptions } from '@fsbus/contract';

const example = readFileSync(fileURLToPath(new URL('../../../examples/deploy/agent.yaml', import.meta.url)), 'utf8');
const denylist = /^\s*denylist: \[([^\]]*)\]\s*$/m.exec(example)![1]!.split(',').map((v) => v.trim());
const BUILTINS = new Set(['agent.status', 'hangup', 'originate', 'execute_app']);
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const U = 'a1b2c3';

function parse(body: unknown, options: ParseOptions = { denylist }) {
  return parseRequest(enc(body), { isBuiltin: (c) => BUILTINS.has(c.trim()), ...options });
}

/** The verb the policy refused `body` for, with the message and code of every denial; undefined when admitted. */
function deniedVerbOf(body: unknown, options?: ParseOptions): string | undefined {
  const r = parse(body, options);
  if (r.ok) return undefined;
  assert.equal(r.code, BusErrorCode.COMMAND_DENIED, r.message);
  assert.equal(r.message, BusMessage.COMMAND_DENIED);
  return r.hints.denied_verb;
}

void test('execute_app: a denied application is refused, by its name in any case', () => {
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'bgsystem', args: 'id' }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'system', args: 'id' }), 'system');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'System', args: 'id' }), 'system');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'lua', args: 'x.lua' }), 'lua');
  // As uuid_broadcast and json's execute read the same application.
  assert.equal(deniedVerbOf({ command: 'uuid_broadcast', args: `${U} bgsystem::id aleg` }), 'bgsystem');
});

void test('execute_app: its args read as an application\'s args (hook variables set, expansions)', () => {
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'set', args: 'api_on_answer=system id' }), 'system');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'export', args: 'execute_on_answer=bgsystem id' }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'set', args: 'api_hangup_hook=bgapi spawn x' }), 'spawn');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'log', args: 'INFO ${system(id)}' }), 'system');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'set', args: 'x=${sys${y}tem(id)}' }), '?');
});

void test('execute_app: vars are hook variables set as uuid_setvar sets them', () => {
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'park', vars: { api_on_answer: 'system id' } }), 'system');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'park', vars: { EXECUTE_ON_ANSWER: 'lua x.lua' } }), 'lua');
  assert.equal(deniedVerbOf({ command: 'uuid_setvar', args: `${U} api_on_answer system id` }), 'system');
});

void test('originate: variables read as an originate {…} block, an &app(args) extension as that application', () => {
  const call = { command: 'originate', endpoint: 'user/1000' };
  assert.equal(deniedVerbOf({ ...call, extension: '1000', variables: { api_on_answer: 'system id' } }), 'system');
  assert.equal(deniedVerbOf({ ...call, extension: '1000', variables: { execute_on_answer: 'bgsystem id' } }), 'bgsystem');
  assert.equal(deniedVerbOf({ ...call, extension: '1000', variables: { api_hangup_hook: 'bgapi spawn_stream id' } }), 'spawn_stream');
  assert.equal(deniedVerbOf({ ...call, extension: '&system(id)' }), 'system');
  assert.equal(deniedVerbOf({ ...call, destination: '&bgsystem(id)' }), 'bgsystem');
  assert.equal(deniedVerbOf({ ...call, extension: '&set(api_on_answer=system id)' }), 'system');
  assert.equal(deniedVerbOf({ ...call, extension: '&lua' }), 'lua');
  // The FreeSWITCH text of the same block.
  assert.equal(deniedVerbOf({ command: 'bgapi', args: 'originate {api_on_answer=system id}user/1000 1000' }), 'system');
});

void test('what runs nothing denied still passes', () => {
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'park' }), undefined);
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'playback', args: 'tone_stream://%(100,0,440)', vars: { foo: 'system id' } }), undefined);
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'set', args: 'foo=system id' }), undefined);
  assert.equal(deniedVerbOf({ command: 'originate', endpoint: 'user/1000', extension: '&park()', variables: { foo: 'system id' } }), undefined);
  assert.equal(deniedVerbOf({ command: 'originate', endpoint: 'user/1000', extension: 'system' }), undefined);
  // Fields of the wrong type are the command's to refuse (INVALID_ARGUMENT), not the policy's.
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 5, vars: 'x' }), undefined);
  assert.equal(deniedVerbOf({ command: 'originate', endpoint: 'user/1000', extension: 7, variables: ['system'] }), undefined);
});

void test('the allowlist still governs FreeSWITCH verbs only: it does not read a built-in\'s fields', () => {
  const allowlist = ['status', 'show'];
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'system', args: 'id' }, { allowlist }), undefined);
  assert.equal(deniedVerbOf({ command: 'originate', endpoint: 'user/1000', extension: '&system(id)' }, { allowlist }), undefined);
  // Without lists nothing is read.
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'system', args: 'id' }, {}), undefined);
  // Both lists: the denylist reads the fields.
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: U, app: 'system', args: 'id' }, { allowlist, denylist: ['system'] }), 'system');
});
