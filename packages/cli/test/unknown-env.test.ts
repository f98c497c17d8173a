// Typo'd FSBUS_* variables were silently ignored by the CLI: `FSBUS_TIMEOUT=200 fsbus api …` ran
// with the default timeout, `FSBUS_BROKER_URLS=… fsbus status` (the agent's name, which the CLI
// did not read) used the running demo. Every command now says each unknown name on stderr before
// it runs, stdout and the exit code unchanged; the agent's names are known, and FSBUS_BROKER_URLS
// is read as the agent reads it.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { cliEnv, runCli } from './support/run-cli.js';

const NO_DEMO = { FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' };
// Nothing listens on port 1: refused at once, exit 3.
const REFUSED = ['-s', 'nats://127.0.0.1:1'];

void test('an unknown FSBUS_* variable: one stderr line each, before the command, with the closest name', async () => {
  const plain = await runCli(['status', ...REFUSED, '--json'], cliEnv(NO_DEMO));
  const typo = await runCli(['status', ...REFUSED, '--json'], cliEnv({ ...NO_DEMO, FSBUS_TIMEOUT: '200', FSBUS_NOTHING_LIKE_IT: 'S3cretValue' }));
  assert.equal(typo.code, plain.code, typo.err);
  assert.equal(typo.code, 3);
  assert.equal(typo.out, plain.out);
  const lines = typo.err.split('\n');
  assert.deepEqual(lines.slice(0, 2), [
    'fsbus status: warning: unknown environment variable FSBUS_NOTHING_LIKE_IT ignored',
    'fsbus status: warning: unknown environment variable FSBUS_TIMEOUT ignored (did you mean FSBUS_TIMEOUT_MS?)',
  ]);
  assert.equal(lines.slice(2).join('\n'), plain.err);
  assert.ok(!typo.err.includes('S3cretValue'));
  // A usage error keeps its exit code too.
  const usage = await runCli(['api'], cliEnv({ ...NO_DEMO, FSBUS_TIMEOUT: '200' }));
  assert.equal(usage.code, 2, usage.err);
  assert.match(usage.err, /^fsbus api: warning: unknown environment variable FSBUS_TIMEOUT ignored \(did you mean FSBUS_TIMEOUT_MS\?\)\n/);
});

void test('known variables, the agent-only ones included, give no warning', async () => {
  const r = await runCli(['status', ...REFUSED], cliEnv({ ...NO_DEMO, FSBUS_TIMEOUT_MS: '200', FSBUS_ESL_PASSWORD: 'ClueCon', FSBUS_METRICS_PORT: '9999', FSBUS_WEB_TOKEN: 't' }));
  assert.equal(r.code, 3, r.err);
  assert.doesNotMatch(r.err, /warning/);
});

void test("FSBUS_BROKER_URLS, the agent's name, is a server variable of the CLI too", async () => {
  const r = await runCli(['status'], cliEnv({ ...NO_DEMO, FSBUS_BROKER_URLS: 'nats://127.0.0.1:1' }));
  assert.equal(r.code, 3, r.err);
  assert.match(r.err, /^hint: could not connect to nats:\/\/127\.0\.0\.1:1 \(FSBUS_BROKER_URLS\): /m);
  assert.doesNotMatch(r.err, /warning/);
});
