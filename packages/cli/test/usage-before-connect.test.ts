// Bad flags and env are usage errors (exit 2, `; see fsbus <cmd> --help`) found before connecting:
// the real CLI as a child process, pointed at a broker URL where nothing listens, so a check that
// ran only after connecting would exit 3 instead. Also each command's help states its own
// --timeout default, and the colour decision follows Node's FORCE_COLOR / NO_COLOR.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { cliEnv, runCli, type CliResult } from './support/run-cli.js';
import { runMain } from './support/run-main.js';
import { colors } from '../src/bus/format.js';
import { connectHint } from '../src/bus/global-options.js';

/** Nothing listens on port 1: connecting fails at once with exit 3. */
const NOWHERE = 'nats://127.0.0.1:1';
const env = cliEnv({ FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });

function usage(r: CliResult, command: string, message: RegExp): void {
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, message);
  assert.match(r.err, new RegExp(`^fsbus ${command}: .*; see fsbus ${command} --help$`, 'm'), r.err);
  // Said in the usage style, not as a client error code with the errors.md hint.
  assert.doesNotMatch(r.err, /FSBUS_ERR_|docs\/errors\.md|is the broker running/, r.err);
}

// Each test its own children against nothing: side by side.
void describe('usage errors before connecting', { concurrency: 3 }, () => {
  void it('an empty --server (e.g. -s "$UNSET") is a usage error, not the default broker; an empty server env var is unset', async () => {
    usage(await runCli(['api', 'version', '-s', ''], env), 'api', /--server "": names no broker URL/);
    usage(await runCli(['api', 'version', '--server', ' , '], env), 'api', /--server " , ": names no broker URL/);
    usage(await runCli(['status'], { ...env, FSBUS_BROKER_URL: ',' }), 'status', /FSBUS_BROKER_URL ",": names no broker URL/);
    // Empty as every FSBUS_* variable: unset, so the next one (here MOD_EVENT_AGENT_URL) is used.
    const unset = await runCli(['status'], { ...env, FSBUS_BROKER_URL: '', MOD_EVENT_AGENT_URL: NOWHERE });
    assert.equal(unset.code, 3, unset.err);
    assert.match(unset.err, /cannot connect to NATS \(nats:\/\/127\.0\.0\.1:1\)/);
  });

  void it('hangup: a cause FreeSWITCH does not know is refused before the lookup on every node', async () => {
    const uuid = '0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f';
    usage(await runCli(['hangup', uuid, 'NOT_A_CAUSE', '-s', NOWHERE], env), 'hangup', /cause must be a FreeSWITCH hangup cause: .* or its number, not "NOT_A_CAUSE"/);
    usage(await runCli(['hangup', uuid, 'none', '--node', 'fs-01', '-s', NOWHERE], env), 'hangup', /not "none"/);
    // Any case or its number passes the check: only the broker is missing (exit 3).
    for (const cause of ['user_busy', '17']) assert.equal((await runCli(['hangup', uuid, cause, '--node', 'fs-01', '-s', NOWHERE], env)).code, 3);
  });

  void it('status --expect without --all is refused as api --expect is', async () => {
    usage(await runCli(['status', '--expect', '5', '-s', NOWHERE], env), 'status', /--expect goes with --all/);
    usage(await runCli(['api', 'status', '--expect', '1', '-s', NOWHERE], env), 'api', /--expect goes with --all/);
  });

  void it('events --stream without --from or --durable is refused (live events come from no stream)', async () => {
    usage(await runCli(['events', '--stream', 'NOPE', '--count', '1', '-s', NOWHERE], env), 'events', /--stream goes with --from or --durable/);
  });

  void it('events: --from 0, --node "", --durable "", an empty pattern, --from on mqtt: usage errors before connecting', async () => {
    usage(await runCli(['events', '--from', '0', '-s', NOWHERE], env), 'events', /--from must be all, new, a sequence number >= 1 or an ISO time, got "0"/);
    usage(await runCli(['events', '--node', '', '-s', NOWHERE], env), 'events', /--node must be a non-empty string, got ""/);
    usage(await runCli(['events', '--durable', '', '-s', NOWHERE], env), 'events', /--durable must be a non-empty string/);
    usage(await runCli(['events', '--durable', 'a.b', '--stream', 'S', '-s', NOWHERE], env), 'events', /--durable "a\.b" may not contain '\.'/);
    usage(await runCli(['events', '', '-s', NOWHERE], env), 'events', /bad event pattern ""/);
    // docs/cli.md: on a driver without durable streams, --from and --durable are usage errors (the broker down or not).
    usage(await runCli(['events', '-s', 'mqtt://127.0.0.1:1', '--from', 'all'], env), 'events', /--from needs the agent's event stream: the mqtt driver has no durable streams/);
    usage(await runCli(['events', '--driver', 'zmq', '--durable', 'audit'], env), 'events', /--durable needs the agent's event stream: the zmq driver has no durable streams/);
    // A password with an unencoded '/': said before connecting, the password masked.
    const cut = await runCli(['api', 'status', '-s', 'nats://fsbus:s3c/retPW@127.0.0.1:1'], env);
    usage(cut, 'api', /--server: nats:\/\/\*\*\*@127\.0\.0\.1:1: a '\/' before the last @ ends the host part there .*percent-encode the password/);
    assert.doesNotMatch(cut.err, /s3c|retPW/);
    // --node '' of the other commands too.
    usage(await runCli(['api', 'status', '--node', ' ', '-s', NOWHERE], env), 'api', /--node must be a non-empty string, got " "/);
  });

  void it('a broker URL of no valid form (scheme typo, missing `:`, port past 65535) is a usage error naming where it came from', async () => {
    usage(await runCli(['status', '-s', 'ampq://127.0.0.1:1'], env), 'status', /--server: ampq:\/\/127\.0\.0\.1:1: unknown scheme 'ampq:\/\/'/);
    usage(await runCli(['status', '--driver', 'amqp', '-s', 'ampq://127.0.0.1:1'], env), 'status', /--server: ampq:\/\/127\.0\.0\.1:1: unknown scheme/);
    usage(await runCli(['api', 'status', '-s', 'amqp//127.0.0.1:1'], env), 'api', /--server: amqp\/\/127\.0\.0\.1:1: no scheme:\/\//);
    usage(await runCli(['status'], { ...env, FSBUS_BROKER_URL: 'amqp://127.0.0.1:314490' }), 'status', /FSBUS_BROKER_URL: amqp:\/\/127\.0\.0\.1:314490: port 314490 is not 1-65535/);
    const secret = await runCli(['status', '-s', 'nats://alice:pa,ss@127.0.0.1:1'], env);
    usage(secret, 'status', /--server: nats:\/\/\*\*\*/);
    assert.doesNotMatch(secret.err, /alice|:pa/);
  });

  void it('a connect failure to a given server names it, without the `fsbus demo` advice', async () => {
    const flag = await runCli(['status', '-s', NOWHERE], env);
    assert.equal(flag.code, 3, flag.err);
    assert.match(flag.err, /^hint: could not connect to nats:\/\/127\.0\.0\.1:1 \(--server\): check that the broker runs there and the URL \(host, port, scheme\)$/m);
    assert.doesNotMatch(flag.err, /fsbus demo/);
    const fromEnv = await runCli(['status'], { ...env, MOD_EVENT_AGENT_URL: NOWHERE });
    assert.equal(fromEnv.code, 3, fromEnv.err);
    assert.match(fromEnv.err, /^hint: could not connect to nats:\/\/127\.0\.0\.1:1 \(MOD_EVENT_AGENT_URL\)/m);
    assert.doesNotMatch(fromEnv.err, /fsbus demo/);
    // None given (the default loopback URL): the code's own hint, which suggests `fsbus demo`.
    assert.equal(connectHint({ source: 'default', servers: ['nats://127.0.0.1:4222'] }), undefined);
  });

  void it('a malformed FSBUS_BROKER_NKEY_SEED is a usage error naming the variable, not "is the broker running?"', async () => {
    const bad = await runCli(['api', 'version', '-s', NOWHERE], { ...env, FSBUS_BROKER_NKEY_SEED: 'SUABC' });
    usage(bad, 'api', /FSBUS_BROKER_NKEY_SEED is not an NKey seed/);
    assert.doesNotMatch(bad.err, /SUABC/, 'the seed is a secret: never printed');
    const alias = await runCli(['status', '-s', NOWHERE], { ...env, MOD_EVENT_AGENT_NKEY_SEED: 'not a seed' });
    usage(alias, 'status', /MOD_EVENT_AGENT_NKEY_SEED is not an NKey seed/);
    // Only the nats driver reads it.
    const other = await runCli(['status', '-s', 'mqtt://127.0.0.1:1'], { ...env, FSBUS_BROKER_NKEY_SEED: 'SUABC' });
    assert.equal(other.code, 3, other.err);
  });
});

/** The help's `--timeout <ms>` entry, continuation lines joined. */
function timeoutHelp(help: string): string {
  const m = /^ {2}--timeout <ms> +(.*(?:\n {20,}\S.*)*)/m.exec(help);
  assert.ok(m, help);
  return m[1]!.replace(/\s+/g, ' ');
}

void describe('--timeout in each command help says its own default', () => {
  void it('originate: ring time + 5 s, at least 30000', async () => {
    const t = timeoutHelp((await runMain(['originate', '--help'])).out);
    assert.match(t, /ring/);
    assert.match(t, /30000/);
    assert.doesNotMatch(t, /default 5000/);
  });
  void it('api: 5000, --bg 30000, --all 1500', async () => {
    const t = timeoutHelp((await runMain(['api', '--help'])).out);
    assert.match(t, /5000/);
    assert.match(t, /--bg.*30000|30000.*--bg/);
    assert.match(t, /--all.*1500|1500.*--all/);
  });
  void it('status: 5000, --all 1500', async () => {
    const t = timeoutHelp((await runMain(['status', '--help'])).out);
    assert.match(t, /5000/);
    assert.match(t, /--all.*1500/);
  });
  void it("hangup: 5000, the search of every node 1500", async () => {
    const t = timeoutHelp((await runMain(['hangup', '--help'])).out);
    assert.match(t, /5000/);
    assert.match(t, /every node.*1500/);
  });
});

void describe('colors(): Node’s FORCE_COLOR / NO_COLOR convention', () => {
  const on = (env: NodeJS.ProcessEnv, tty: boolean): boolean => colors(env, tty).red('x') !== 'x';
  void it('a terminal gets colours unless NO_COLOR (any value) or FORCE_COLOR=0/false', () => {
    assert.equal(on({}, true), true);
    assert.equal(on({}, false), false);
    assert.equal(on({ NO_COLOR: '1' }, true), false);
    assert.equal(on({ NO_COLOR: '' }, true), false);
    assert.equal(on({ FORCE_COLOR: '0' }, true), false);
    assert.equal(on({ FORCE_COLOR: 'false' }, true), false);
  });
  void it('FORCE_COLOR ("", 1, true, 2, 3) turns them on off a terminal, also over NO_COLOR', () => {
    for (const v of ['', '1', 'true', '2', '3']) assert.equal(on({ FORCE_COLOR: v }, false), true, `FORCE_COLOR=${v}`);
    assert.equal(on({ FORCE_COLOR: '1', NO_COLOR: '1' }, false), true);
  });
});
