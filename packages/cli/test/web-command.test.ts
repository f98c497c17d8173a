// `fsbus web` argument handling (the server itself is covered by the other tests).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { runMain as run } from './support/run-main.js';
import { busLine, webOptions } from '../src/commands/web.js';

test('fsbus web --help, bad flags, and the loopback-only default', async () => {
  const help = await run(['web', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: fsbus web/);
  assert.match(help.out, /FSBUS_WEB_TOKEN/);
  // Its own --timeout and exit codes, not the request/reply commands' (default 5000; 3, 4).
  assert.match(help.out, /--timeout <ms> +how long a control from the page waits/);
  assert.doesNotMatch(help.out, /request timeout|no answer/);
  assert.equal((await run(['web', '--port', 'eighty'])).code, 2);
  assert.equal((await run(['web', '--poll', '5'])).code, 2);
  const open = await run(['web', '--port', '0', '--host', '0.0.0.0', '--server', 'nats://127.0.0.1:1']);
  assert.equal(open.code, 1);
  assert.match(open.err, /FSBUS_ERR_WEB_INSECURE_BIND/);
});

test('fsbus web --timeout / FSBUS_TIMEOUT_MS set how long a page control waits', () => {
  const options = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const o = webOptions(['--server', 'nats://127.0.0.1:4222', ...argv], env);
    assert.notEqual(o, 'help');
    return o === 'help' ? undefined : o.commandTimeoutMs;
  };
  assert.equal(options([]), undefined, 'the dashboard default (10 s) applies');
  assert.equal(options(['--timeout', '2500']), 2500);
  assert.equal(options([], { FSBUS_TIMEOUT_MS: '4000' }), 4000);
});

test('fsbus web --node-retention / --max-nodes / --max-channels / --max-originates size what the dashboard keeps', async () => {
  const o = webOptions(['--server', 'nats://127.0.0.1:4222', '--node-retention', '90', '--max-nodes', '20', '--max-channels', '300', '--max-originates', '3'], {});
  assert.notEqual(o, 'help');
  if (o === 'help') return;
  assert.equal(o.offlineNodeRetentionMs, 90_000);
  assert.equal(o.maxNodes, 20);
  assert.equal(o.maxChannels, 300);
  assert.equal(o.maxPendingOriginates, 3);
  const defaults = webOptions(['--server', 'nats://127.0.0.1:4222'], {});
  assert.deepEqual(defaults === 'help' ? [] : [defaults.offlineNodeRetentionMs, defaults.maxNodes, defaults.maxChannels, defaults.maxPendingOriginates], [undefined, undefined, undefined, undefined]);
  for (const [flag, value] of [['--node-retention', '0'], ['--node-retention', '1.5'], ['--max-nodes', '2x'], ['--max-channels', 'many'], ['--max-originates', '0']] as const) {
    const r = await run(['web', '--port', '0', '--server', 'nats://127.0.0.1:1', flag, value]);
    assert.equal(r.code, 2, `${flag} ${value}`);
    assert.match(r.err, new RegExp(`^fsbus web: ${flag} must be a whole number of at least 1, got "${value.replace('.', '\\.')}"`));
  }
  const help = await run(['web', '--help']);
  assert.match(help.out, /--node-retention <s>/);
  assert.match(help.out, /--max-originates <n>/);
});

test('a half-set or empty FSBUS_WEB_USER / FSBUS_WEB_PASSWORD is a usage error, never "no auth"', async () => {
  const argv = ['--server', 'nats://127.0.0.1:4222'];
  for (const [env, missing] of [
    [{ FSBUS_WEB_USER: 'admin', FSBUS_WEB_PASSWORD: '' }, /FSBUS_WEB_PASSWORD is missing or empty/],
    [{ FSBUS_WEB_USER: 'admin' }, /FSBUS_WEB_PASSWORD is missing or empty/],
    [{ FSBUS_WEB_PASSWORD: 'pw' }, /FSBUS_WEB_USER is missing or empty/],
    [{ FSBUS_WEB_USER: '', FSBUS_WEB_PASSWORD: '' }, /FSBUS_WEB_USER and FSBUS_WEB_PASSWORD are missing or empty/],
    [{ FSBUS_WEB_TOKEN: '' }, /FSBUS_WEB_TOKEN is set but empty/],
  ] as const) {
    assert.throws(() => webOptions(argv, env), missing, JSON.stringify(env));
  }
  const ok = webOptions(argv, { FSBUS_WEB_USER: 'admin', FSBUS_WEB_PASSWORD: 'pw' });
  assert.deepEqual(ok === 'help' ? undefined : ok.auth, { basic: { user: 'admin', password: 'pw' } });
  // Through the command: exit 2 and one line, before anything listens.
  const saved = { user: process.env['FSBUS_WEB_USER'], password: process.env['FSBUS_WEB_PASSWORD'] };
  process.env['FSBUS_WEB_USER'] = 'admin';
  process.env['FSBUS_WEB_PASSWORD'] = '';
  try {
    const r = await run(['web', '--port', '0', ...argv]);
    assert.equal(r.code, 2);
    assert.equal(r.err.split('\n').length, 1);
    assert.match(r.err, /^fsbus web: basic auth needs .*FSBUS_WEB_PASSWORD is missing or empty; see fsbus web --help$/);
  } finally {
    for (const [k, v] of [['FSBUS_WEB_USER', saved.user], ['FSBUS_WEB_PASSWORD', saved.password]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('fsbus web: an unknown driver or a prefix that makes no subject is a usage error, not a dashboard connecting for ever', async () => {
  const foo = await run(['web', '--port', '0', '--driver', 'foo']);
  assert.equal(foo.code, 2);
  assert.match(foo.err, /--driver: unknown driver 'foo'/);
  const prefix = await run(['web', '--port', '0', '--server', 'nats://127.0.0.1:1', '--prefix', 'a..b']);
  assert.equal(prefix.code, 2);
  assert.match(prefix.err, /--prefix "a\.\.b"/);
});

test("fsbus web's bus line on stdout carries no credentials", () => {
  const o = webOptions(['--server', 'nats://alice:s3cret@127.0.0.1:4222,nats://tok@127.0.0.2:4222'], {});
  assert.notEqual(o, 'help');
  const line = o === 'help' ? '' : busLine(o);
  assert.equal(line.includes('s3cret') || line.includes('tok@'), false, line);
  assert.match(line, /nats:\/\/\*\*\*@127\.0\.0\.1:4222/);
});
