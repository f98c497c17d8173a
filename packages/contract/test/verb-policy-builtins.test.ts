// The verb policy and the agent's built-in commands: a denylist entry naming a built-in denies it
// too (an operator's `originate` meant the command, not only FreeSWITCH's API); the allowlist keeps
// governing FreeSWITCH verbs only. A denial says which verb it refused (a wrapped one included).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, BusMessage, parseRequest, type ParseOptions } from '@fsbus/contract';
import { refusedVerb } from '../src/verb-policy.js';

const enc = (s: string) => new TextEncoder().encode(s);
const BUILTINS = new Set(['agent.status', 'agent.cordon', 'hangup', 'originate', 'execute_app', 'dialplan.enable']);
const isBuiltin = (command: string): boolean => BUILTINS.has(command.trim());

function deniedVerbOf(body: unknown, options: ParseOptions): string | undefined {
  const r = parseRequest(enc(JSON.stringify(body)), { isBuiltin, ...options });
  assert.equal(r.ok, false, `${JSON.stringify(body)} was admitted`);
  if (r.ok) return undefined;
  assert.equal(r.code, BusErrorCode.COMMAND_DENIED, r.message);
  assert.equal(r.message, BusMessage.COMMAND_DENIED);
  return r.hints.denied_verb;
}

function admitted(body: unknown, options: ParseOptions): boolean {
  return parseRequest(enc(JSON.stringify(body)), { isBuiltin, ...options }).ok;
}

void test('a denylist entry naming a built-in denies it (any case in the list), naming it as the denied verb', () => {
  const denylist = ['uuid_kill', 'HANGUP', 'Originate', 'execute_app', 'agent.cordon', 'Dialplan.Enable'];
  assert.equal(deniedVerbOf({ command: 'hangup', uuid: 'abc' }, { denylist }), 'hangup');
  assert.equal(deniedVerbOf({ command: 'originate', endpoint: 'user/1000', extension: '1000' }, { denylist }), 'originate');
  assert.equal(deniedVerbOf({ command: ' execute_app ', uuid: 'abc', app: 'park' }, { denylist }), 'execute_app');
  assert.equal(deniedVerbOf({ command: 'agent.cordon', node_id: 'n1' }, { denylist }), 'agent.cordon');
  assert.equal(deniedVerbOf({ command: 'dialplan.enable' }, { denylist }), 'dialplan.enable');
  // Not listed: still runs.
  assert.equal(admitted({ command: 'agent.status' }, { denylist }), true);
});

void test('originate in the denylist denies the built-in and the FreeSWITCH verb alike', () => {
  const denylist = ['originate'];
  assert.equal(deniedVerbOf({ command: 'originate' }, { denylist }), 'originate');
  assert.equal(deniedVerbOf({ command: 'ORIGINATE', args: 'user/1000 &park()' }, { denylist }), 'originate');
  assert.equal(deniedVerbOf({ command: 'bgapi', args: 'originate user/1000 &park()' }, { denylist }), 'originate');
});

void test('agent.status may be denied too when listed', () => {
  assert.equal(deniedVerbOf({ command: 'agent.status' }, { denylist: ['agent.status'] }), 'agent.status');
});

void test('the allowlist governs FreeSWITCH verbs only: built-ins stay allowed unless denylisted', () => {
  const allowlist = ['status', 'version'];
  assert.equal(admitted({ command: 'hangup', uuid: 'abc' }, { allowlist }), true);
  assert.equal(admitted({ command: 'originate' }, { allowlist }), true);
  assert.equal(admitted({ command: 'agent.status' }, { allowlist }), true);
  assert.equal(deniedVerbOf({ command: 'uptime' }, { allowlist }), 'uptime');
  // Both lists: the denylist still reaches the built-in.
  assert.equal(deniedVerbOf({ command: 'hangup', uuid: 'abc' }, { allowlist, denylist: ['hangup'] }), 'hangup');
});

void test('a denial names the verb it refused: the wrapped one, or ? for one that cannot be read', () => {
  assert.equal(deniedVerbOf({ command: 'bgapi', args: 'hupall NORMAL_CLEARING' }, { denylist: ['hupall'] }), 'hupall');
  assert.equal(deniedVerbOf({ command: 'expand', args: 'uuid:abc system id' }, { denylist: ['system'] }), 'system');
  assert.equal(deniedVerbOf({ command: 'Shutdown' }, { denylist: ['shutdown'] }), 'shutdown');
  assert.equal(deniedVerbOf({ command: 'bgapi', args: 'uptime' }, { allowlist: ['bgapi', 'status'] }), 'uptime');
  assert.equal(deniedVerbOf({ command: 'expand', args: 'echo ${sys${x}tem(id)}' }, { denylist: ['system'] }), '?');
});

void test('refusedVerb: the first verb refused, or undefined when the command is permitted', () => {
  assert.equal(refusedVerb('bgapi', { denylist: ['hupall'] }, 'hupall'), 'hupall');
  assert.equal(refusedVerb('bgapi', { denylist: ['hupall'] }, 'status'), undefined);
  assert.equal(refusedVerb('status', {}), undefined);
  assert.equal(refusedVerb('sched_api', { allowlist: ['sched_api'] }, '+1 none uptime'), 'uptime');
});
