// The subcommand registry: listed without loading, each entry loads the command it names.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { COMMANDS } from '../src/main.js';
import { runMain as run } from './support/run-main.js';
import { resolveConnection } from '../src/bus/global-options.js';

test('fsbus --help lists every command with its summary', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const c of COMMANDS) assert.match(help.out, new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  const none = await run([]);
  assert.equal(none.code, 1);
  assert.match(none.out, /^usage: fsbus <command>/);
  const unknown = await run(['nope']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /unknown command "nope"/);
});

test('every entry loads its own command: fsbus <name> --help prints that command’s usage', async () => {
  assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
  for (const c of COMMANDS) {
    const loaded = await c.load();
    assert.equal(typeof loaded.run, 'function', c.name);
    const help = await run([c.name, '--help']);
    assert.equal(help.code, 0, c.name);
    assert.match(help.out, new RegExp(`^usage: fsbus ${c.name}\\b`), c.name);
  }
});

test('no --server, no env, no demo: the driver’s own port on loopback', () => {
  const env = { FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' };
  assert.deepEqual(resolveConnection({}, env).servers, ['nats://127.0.0.1:4222']);
  assert.deepEqual(resolveConnection({ driver: 'zmq' }, env).servers, ['zmq://127.0.0.1:5555']);
  assert.deepEqual(resolveConnection({}, { ...env, FSBUS_DRIVER: 'mqtt' }).servers, ['mqtt://127.0.0.1:1883']);
});
