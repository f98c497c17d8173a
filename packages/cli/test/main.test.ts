// The subcommand registry: listed without loading, each entry loads the command it names.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { COMMANDS } from '../src/main.js';
import { runMain as run } from './support/run-main.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConnection, UsageError } from '../src/bus/global-options.js';
import { withNegativeValues } from '../src/bus/usage.js';

test('fsbus --help lists every command with its summary', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const c of COMMANDS) assert.match(help.out, new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  // Nothing to run, or a command that does not exist: usage errors (exit 2), as docs/cli.md says.
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.err, /^usage: fsbus <command>/);
  const unknown = await run(['nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "nope"; fsbus --help lists the commands/);
  assert.match((await run(['statsu'])).err, /unknown command "statsu" \(did you mean status\?\)/);
  const version = await run(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.out, /^fsbus \d+\.\d+\.\d+$/);
});

test('a mistyped option: one line naming it, a guess, and where the help is (not the whole help)', async () => {
  for (const [argv, line] of [
    [['status', '--al'], 'fsbus status: unknown option --al (did you mean --all?); see fsbus status --help'],
    [['web', '--prot', '1'], 'fsbus web: unknown option --prot (did you mean --port?); see fsbus web --help'],
    [['demo', '--rte', '3'], 'fsbus demo: unknown option --rte (did you mean --rate?); see fsbus demo --help'],
    [['sim', '--xml-curl', 'http://x'], 'fsbus sim: unknown option --xml-curl (did you mean --xml-curl-url?); see fsbus sim --help'],
    [['events', '--frobnicate'], 'fsbus events: unknown option --frobnicate; see fsbus events --help'],
    [['agent', '--confg', 'a.yaml'], 'fsbus agent: unknown option --confg (did you mean --config?); see fsbus agent --help'],
    // A negative number as an argument reads as an option to parseArgs: say how to write it.
    [['dialplan', 'timeout', '-5'], 'fsbus dialplan: unknown option -5 (a negative number as an argument goes after --: -- -5); see fsbus dialplan --help'],
    [['dialplan', 'enabel'], "fsbus dialplan: unknown action 'enabel' (did you mean enable?): one of enable, disable, status, audio, autoanswer, timeout; see fsbus dialplan --help"],
  ] as const) {
    const r = await run([...argv]);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.err, line, argv.join(' '));
  }
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

test('the URL’s scheme chooses the driver when none is given; a URL of another driver is a usage error', () => {
  const env = { FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' };
  assert.equal(resolveConnection({ server: 'amqp://rabbit:5672' }, env).driver, 'amqp');
  assert.equal(resolveConnection({}, { ...env, FSBUS_BROKER_URL: 'redis://r:6379' }).driver, 'redis');
  assert.equal(resolveConnection({ server: 'rabbit:5672' }, env).driver, 'nats');
  assert.throws(() => resolveConnection({ driver: 'nats', server: 'amqp://rabbit:5672' }, env), (err: unknown) => err instanceof UsageError && /amqp:\/\/rabbit:5672 is a URL of the amqp driver, not of nats/.test(err.message));
  // The dashboard's address given as the broker: said at once (nats.js waited for its connect timeout).
  assert.throws(() => resolveConnection({ server: 'http://127.0.0.1:8080/' }, env), (err: unknown) => err instanceof UsageError && /is a web address .*not a broker URL/.test(err.message));
});

test('an unknown driver or a prefix that makes no subject is a usage error for every command', () => {
  const env = { FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' };
  assert.throws(() => resolveConnection({ driver: 'foo' }, env), (err: unknown) => err instanceof UsageError && /--driver: unknown driver 'foo' \(known: nats/.test(err.message));
  assert.throws(() => resolveConnection({}, { ...env, FSBUS_DRIVER: 'foo' }), (err: unknown) => err instanceof UsageError && /FSBUS_DRIVER: unknown driver/.test(err.message));
  assert.throws(() => resolveConnection({ prefix: 'a..b' }, env), (err: unknown) => err instanceof UsageError && /--prefix "a\.\.b": must be dot-separated/.test(err.message));
  assert.equal(resolveConnection({ driver: 'AMQP', prefix: 'pbx.eu1' }, env).prefix, 'pbx.eu1');
});

test('the running demo is the default for its own driver only: --driver amqp does not get its NATS URL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-demo-state-'));
  try {
    const env = { FSBUS_DEMO_STATE: join(dir, 'demo.json') };
    // The demo's own file: the base name and its pid.
    writeFileSync(join(dir, `demo-${process.pid}.json`), JSON.stringify({ driver: 'nats', servers: ['nats://127.0.0.1:41234'], prefix: 'freeswitch', pid: process.pid }));
    assert.deepEqual(resolveConnection({}, env).servers, ['nats://127.0.0.1:41234']);
    assert.deepEqual(resolveConnection({ driver: 'amqp' }, env).servers, ['amqp://127.0.0.1:5672']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a negative number after a space is the option’s value, refused by the option’s own check in one line', async () => {
  for (const [argv, line] of [
    [['status', '--timeout', '-5'], 'fsbus status: --timeout must be a positive number of milliseconds, got "-5"; see fsbus status --help'],
    [['events', '--count', '-1'], 'fsbus events: --count must be a positive integer; see fsbus events --help'],
    [['api', 'status', '--timeout', '-0.5'], 'fsbus api: --timeout must be a positive number of milliseconds, got "-0.5"; see fsbus api --help'],
    [['sim', '--port', '-5'], 'fsbus sim: --port must be a port number (0-65535), got "-5"; see fsbus sim --help'],
    [['demo', '--rate', '-3'], 'fsbus demo: --rate must be a number of calls per second (0-200); see fsbus demo --help'],
    [['web', '--port', '-1'], 'fsbus web: --port must be a port number (0-65535), got "-1"; see fsbus web --help'],
    // Any other value starting with '-' (or a forgotten value): one line saying how to write it.
    [['status', '--node', '--json'], "fsbus status: --node needs a value; one starting with '-' is written --node=-…; see fsbus status --help"],
    [['agent', '-c', '-x.yaml'], "fsbus agent: -c needs a value; one starting with '-' is written --config=-…; see fsbus agent --help"],
  ] as const) {
    const r = await run([...argv]);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.err, line, argv.join(' '));
  }
});

test('withNegativeValues: `--opt -5` and `-s -5` as `--opt=-5`; flags, other values and what follows -- untouched', () => {
  const options = { count: { type: 'string' }, server: { type: 'string', short: 's' }, all: { type: 'boolean' } } as const;
  assert.deepEqual(
    withNegativeValues(['--count', '-1', '-s', '-2', '--all', '-3', '--count', '-x', '--', '--count', '-5'], options),
    ['--count=-1', '--server=-2', '--all', '-3', '--count', '-x', '--', '--count', '-5'],
  );
});

test('fsbus help <command> prints that command’s help (exit 0); an unknown one is a usage error', async () => {
  for (const c of COMMANDS) {
    const help = await run(['help', c.name]);
    assert.equal(help.code, 0, c.name);
    assert.equal(help.out, (await c.load()).help, c.name);
  }
  assert.match((await run(['help'])).out, /^usage: fsbus <command>/);
  const unknown = await run(['help', 'statsu']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.err, 'fsbus help: unknown command "statsu" (did you mean status?); fsbus --help lists the commands');
});

test('every option of a command’s usage line has its line in the options; --driver names the demo’s default', async () => {
  for (const c of COMMANDS) {
    const help = (await c.load()).help;
    const [usageLine = '', ...rest] = help.split('\n');
    for (const flag of usageLine.match(/--[a-z-]+/g) ?? []) {
      assert.match(rest.join('\n'), new RegExp(`^  (-\\w, )?${flag}\\b`, 'm'), `fsbus ${c.name} --help: ${flag} is in the usage line but has no option line`);
    }
  }
  assert.match((await run(['status', '--help'])).out, /default:\s+the one the URL's scheme\s+names, the running demo's, else nats\)/);
});
