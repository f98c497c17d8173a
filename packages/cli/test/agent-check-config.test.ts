// Validating an edited agent.yaml meant restarting the agent and watching for exit 78.
// `fsbus agent --check-config` loads the config as a start would (file + env, same errors, same
// exit codes), prints it with every secret masked and the start warnings, and connects to nothing.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, runCli } from './support/run-cli.js';

const SECRETS = { url: 'url-pw-5f3a9', broker: 'broker-pw-c81e', esl: 'esl-pw-77d2', dialplan: 'dialplan-pw-0b4c' };
let dir: string;
let good: string;
let bad: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fsbus-check-config-'));
  good = join(dir, 'agent.yaml');
  bad = join(dir, 'bad.yaml');
  // Port 1: nothing listens there; a start would fail to connect, the check never tries.
  writeFileSync(good, ['node_id: Edge-1', 'esl:', '  port: 1', 'dialplan:', '  user: fs', 'log_audit: false', 'commands:', '  allowlist: [status]', ''].join('\n'));
  writeFileSync(bad, ['node_id: edge-1', 'esl:', '  port: eighty', ''].join('\n'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const secretEnv = cliEnv({
  FSBUS_BROKER_URL: `nats://alice:${SECRETS.url}@127.0.0.1:1`,
  FSBUS_BROKER_PASSWORD: SECRETS.broker,
  FSBUS_ESL_PASSWORD: SECRETS.esl,
  FSBUS_DIALPLAN_PASSWORD: SECRETS.dialplan,
  FSBUS_ESL_PASS: 'misspelt',
});

void test('--help names --check-config', async () => {
  const r = await runCli(['agent', '--help'], cliEnv());
  assert.equal(r.code, 0);
  assert.match(r.out, /--check-config/);
});

void test('a good config: exit 0, the effective config with secrets masked, the start warnings', async () => {
  const r = await runCli(['agent', '--check-config', '--config', good], secretEnv);
  assert.equal(r.code, 0, r.err);
  const config = JSON.parse(r.out) as { node_id: string; log_audit: boolean; esl: { port: number }; broker: { urls: string[] }; secrets: Record<string, string> };
  assert.equal(config.node_id, 'edge-1');
  assert.equal(config.log_audit, false);
  assert.equal(config.esl.port, 1);
  assert.deepEqual(config.broker.urls, ['nats://***@127.0.0.1:1']);
  assert.deepEqual(config.secrets, { eslPassword: '***', brokerPassword: '***', dialplanPassword: '***' });
  for (const secret of Object.values(SECRETS)) assert.ok(!r.out.includes(secret) && !r.err.includes(secret), `${secret} printed:\n${r.out}\n${r.err}`);
  // The warnings a start of this config and environment gives.
  assert.match(r.err, /warning: unknown environment variables ignored .*FSBUS_ESL_PASS \(did you mean FSBUS_ESL_PASSWORD\?\)/);
  assert.match(r.err, /warning: node_id 'Edge-1' is served as 'edge-1'/);
  assert.match(r.err, /warning: commands\.allowlist does not limit the built-in commands: execute_app and originate still run/);
  assert.match(r.err, /configuration OK/);
});

void test('a bad config: exit 78 and the message a start gives', async () => {
  const checked = await runCli(['agent', '--check-config', '--config', bad], cliEnv());
  const started = await runCli(['agent', '--config', bad], cliEnv());
  assert.equal(started.code, 78);
  assert.equal(checked.code, 78);
  assert.equal(checked.out, '');
  assert.match(checked.err, /^fsbus agent: .*esl\.port/);
  assert.equal(checked.err, started.err);
});

void test('a usage error: exit 2', async () => {
  const r = await runCli(['agent', '--check-config=yes'], cliEnv());
  assert.equal(r.code, 2);
  assert.match(r.err, /see fsbus agent --help/);
});
