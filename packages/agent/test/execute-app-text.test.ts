// execute_app's text as FreeSWITCH reads it: uuid_setvar values back exactly, args that a header
// would not keep in the sendmsg body. FreeSWITCH's reading (switch_utils.c) is the simulator's.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ExecuteCompletions, createExecuteAppCommand, parseExecuteApp, type CommandContext } from '@fsbus/agent';
import type { SendMsg } from '@fsbus/esl';
import { separateString } from '@fsbus/sim';
import { setvarValue } from '../src/commands/execute-app.js';

/** The value FreeSWITCH's uuid_setvar sets from the line (undefined: unset), read as the simulator reads it. */
function freeswitchSetvar(line: string): string | undefined {
  return separateString(line.slice('uuid_setvar '.length), 3)[2];
}

void test('uuid_setvar values: FreeSWITCH reads back exactly what was sent (quotes, backslashes, blanks)', () => {
  const values = ["O'Neil's", "'quoted'", 'C:\\temp', 'a\\sb', 'x\\', '\\', '"q"', '  ', ' lead', 'trail \t', '\tinner tab', 'hello world', 'it\'s  "two"  words', '${x}', 'é ü'];
  for (const v of values) {
    assert.equal(freeswitchSetvar(`uuid_setvar abc-123 k ${setvarValue(v)}`), v, JSON.stringify(v));
  }
  // Plain values go as they are.
  assert.equal(setvarValue('hello world'), 'hello world');
  assert.equal(parseExecuteApp({ uuid: 'abc', app: 'x', vars: { a: 'x\0y' } }), 'execute_app: variable a must not contain NUL or end with a vertical tab');
  assert.equal(parseExecuteApp({ uuid: 'abc', app: 'x', vars: { a: 'x\v' } }), 'execute_app: variable a must not contain NUL or end with a vertical tab');
});

void test('execute_app sends escaped uuid_setvar lines, and args with leading blanks in the sendmsg body', async () => {
  const apiLines: string[] = [];
  const sent: SendMsg[] = [];
  const command = createExecuteAppCommand({
    nodeId: 'n1',
    completions: new ExecuteCompletions(),
    sendmsg: (_uuid, msg) => Promise.resolve(sent.push(msg)),
    publish: () => undefined,
  });
  const ctx = { timeoutMs: 1000, signal: new AbortController().signal, api: (line: string) => Promise.resolve(apiLines.push(line) && '+OK\n') } as unknown as CommandContext;
  const run = (fields: Record<string, unknown>) => command.run({ command: 'execute_app', fields }, ctx);
  const r = await run({ uuid: 'abc-123', app: 'playback', args: '   /tmp/x.wav', vars: { who: "O'Neil's", path: 'C:\\temp', blank: '  ' } });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(apiLines, ["uuid_setvar abc-123 who O\\'Neil\\'s", 'uuid_setvar abc-123 path C:\\\\temp', 'uuid_setvar abc-123 blank \\s\\s']);
  assert.deepEqual(apiLines.map(freeswitchSetvar), ["O'Neil's", 'C:\\temp', '  ']);
  // mod_event_socket drops a header value's leading spaces: the body keeps them.
  assert.equal(sent[0]?.headers?.['execute-app-arg'], undefined);
  assert.equal(sent[0]?.body, '   /tmp/x.wav');
  await run({ uuid: 'abc-123', app: 'playback', args: '/tmp/x.wav ' });
  assert.equal(sent[1]?.headers?.['execute-app-arg'], '/tmp/x.wav ');
  assert.equal(sent[1]?.body, undefined);
});
