// The denylist examples/deploy/agent.yaml ships (and docs/agent.md shows, the same list) refuses
// every way to the shell it names, FreeSWITCH 1.10.12's `spawn_stream` API and `bgsystem`
// application included, wherever the generic API would run them. Read from the example itself,
// so the copy an admin takes and this test cannot drift apart.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BusErrorCode, parseRequest } from '@fsbus/contract';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), 'utf8');

/** The `denylist: [a, b, …]` line of `text` (one, flow style), as its entries. */
function denylistOf(text: string, where: string): string[] {
  const lines = [...text.matchAll(/^\s*denylist: \[([^\]]*)\]\s*$/gm)];
  assert.equal(lines.length, 1, `${where}: one denylist: […] line`);
  return lines[0]![1]!.split(',').map((v) => v.trim());
}

const denylist = denylistOf(read('examples/deploy/agent.yaml'), 'examples/deploy/agent.yaml');
const BUILTINS = new Set(['agent.status', 'hangup', 'originate', 'execute_app']);
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

function deniedVerbOf(body: unknown): string | undefined {
  const r = parseRequest(enc(body), { denylist, isBuiltin: (c) => BUILTINS.has(c.trim()) });
  if (r.ok) return undefined;
  assert.equal(r.code, BusErrorCode.COMMAND_DENIED, r.message);
  return r.hints.denied_verb;
}

void test("docs/agent.md's example denylist is examples/deploy/agent.yaml's", () => {
  const doc = read('docs/agent.md');
  const block = /```yaml\n# \/etc\/fsbus\/agent\.yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block !== undefined, "docs/agent.md's /etc/fsbus/agent.yaml example");
  assert.deepEqual(denylistOf(block, 'docs/agent.md'), denylist);
});

void test('the example denylist refuses spawn_stream and the bgsystem application wherever the generic API runs them', () => {
  assert.equal(deniedVerbOf({ command: 'spawn_stream', args: 'id' }), 'spawn_stream');
  assert.equal(deniedVerbOf({ command: 'bgapi', args: 'spawn_stream id' }), 'spawn_stream');
  assert.equal(deniedVerbOf({ command: 'eval', args: '${spawn_stream id}' }), 'spawn_stream');
  assert.equal(deniedVerbOf({ command: 'uuid_broadcast', args: 'a1b2 bgsystem::id aleg' }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'uuid_setvar', args: 'a1b2 execute_on_answer bgsystem id' }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'json', args: JSON.stringify({ command: 'execute', data: { uuid: 'a1b2', app: 'bgsystem', arg: 'id' } }) }), 'bgsystem');
  // And the ones it had: the shell API and application, spawn, the script engines.
  for (const verb of ['system', 'bg_system', 'spawn', 'bg_spawn', 'lua', 'jsrun']) assert.equal(deniedVerbOf({ command: 'bgapi', args: `${verb} x` }), verb);
});

void test('execute_app is a built-in: the denylist reads its app as any application, listing execute_app itself refuses it by name', () => {
  // What the built-in runs is read from its fields (verb-policy-builtin-fields.test.ts).
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: 'a1b2', app: 'bgsystem', args: 'id' }), 'bgsystem');
  assert.equal(deniedVerbOf({ command: 'execute_app', uuid: 'a1b2', app: 'park' }), undefined);
  const r = parseRequest(enc({ command: 'execute_app', uuid: 'a1b2', app: 'bgsystem', args: 'id' }), { denylist: [...denylist, 'execute_app'], isBuiltin: (c) => BUILTINS.has(c.trim()) });
  assert.equal(r.ok ? undefined : r.hints.denied_verb, 'execute_app');
});
