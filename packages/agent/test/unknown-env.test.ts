// A misspelt FSBUS_* variable was silently ignored: `FSBUS_ESL_PASS` left the ESL password at
// ClueCon. The agent names each unknown FSBUS_* / MOD_EVENT_AGENT_* variable at start, once, with
// the closest known name and never a value; every variable an fsbus component reads is known.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { knownEnvNames, unknownEnv } from '../src/config/unknown-env.js';
import { spawnAgent } from './support/agent-process.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const WARNING = /^unknown environment variables ignored /;

void test('each unknown name with the closest known one', () => {
  assert.deepEqual(
    unknownEnv({
      FSBUS_ESL_PASS: 'x',
      FSBUS_METRIC_PORT: '1',
      FSBUS_API_DENY_LIST: 'y',
      MOD_EVENT_AGENT_ESL_PASS: 'z',
      fsbus_esl_password: 'w',
      FSBUS_NOTHING_LIKE_IT: '1',
      FSBUS_ESL_PASSWORD: 'ok',
      FSBUS_WEB_TOKEN: 'the web dashboard reads it',
      HOME: '/root',
    }),
    [
      { name: 'FSBUS_API_DENY_LIST', didYouMean: 'FSBUS_API_DENYLIST' },
      { name: 'FSBUS_ESL_PASS', didYouMean: 'FSBUS_ESL_PASSWORD' },
      { name: 'FSBUS_METRIC_PORT', didYouMean: 'FSBUS_METRICS_PORT' },
      { name: 'FSBUS_NOTHING_LIKE_IT' },
      { name: 'MOD_EVENT_AGENT_ESL_PASS', didYouMean: 'MOD_EVENT_AGENT_ESL_PASSWORD' },
      { name: 'fsbus_esl_password', didYouMean: 'FSBUS_ESL_PASSWORD' },
    ],
  );
});

void test("the CLI's check suggests the CLI's names too; the agent's, its own only", () => {
  // `FSBUS_TIMEOUT=200 fsbus api …`: the CLI's FSBUS_TIMEOUT_MS is the name meant.
  assert.deepEqual(unknownEnv({ FSBUS_TIMEOUT: '200', FSBUS_SEVRERS: 'x', FSBUS_ESL_PASS: 'y', FSBUS_TIMEOUT_MS: '1' }, { reader: 'cli' }), [
    { name: 'FSBUS_ESL_PASS', didYouMean: 'FSBUS_ESL_PASSWORD' },
    { name: 'FSBUS_SEVRERS', didYouMean: 'FSBUS_SERVERS' },
    { name: 'FSBUS_TIMEOUT', didYouMean: 'FSBUS_TIMEOUT_MS' },
  ]);
  assert.deepEqual(unknownEnv({ FSBUS_TIMEOUT: '200' }), [{ name: 'FSBUS_TIMEOUT' }]);
});

/** Source, script and support files of the repository (not *.test.ts, which may spell a name wrong on purpose). */
function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|tsx|mjs|js|sh)$|^[^.]+$/.test(entry.name) && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

void test('every FSBUS_* variable read anywhere in the repository is a known name', () => {
  const known = knownEnvNames();
  const unknown = new Set<string>();
  for (const dir of ['packages', 'scripts', 'bench', 'examples', 'test']) {
    for (const file of sourceFiles(join(root, dir))) {
      for (const [name] of readFileSync(file, 'utf8').matchAll(/\b(?:FSBUS|MOD_EVENT_AGENT)_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        if (!name.startsWith('FSBUS_ERR_') && !known.has(name)) unknown.add(`${name} (${relative(root, file)})`);
      }
    }
  }
  assert.deepEqual([...unknown], []);
});

void test('fsbus agent warns once at start, with names and no values; none when every name is known', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const base = { FSBUS_BROKER_URL: nats.url, FSBUS_ESL_PORT: String(port), FSBUS_METRICS: 'false' };
  try {
    for (const [nodeId, extra, expected] of [
      ['env-typo', { FSBUS_ESL_PASS: 'S3cretValue', FSBUS_METRIC_PORT: '9999' }, 'FSBUS_ESL_PASS (did you mean FSBUS_ESL_PASSWORD?), FSBUS_METRIC_PORT (did you mean FSBUS_METRICS_PORT?)'],
      ['env-ok', { FSBUS_WEB_TOKEN: 'S3cretValue', FSBUS_ESL_PASSWORD: 'ClueCon' }, undefined],
    ] as const) {
      const agent = spawnAgent({ ...base, FSBUS_NODE_ID: nodeId, ...extra });
      try {
        await agent.line((l) => l['msg'] === 'agent started', "'agent started'");
        const warnings = agent.logs.filter((l) => WARNING.test(String(l['msg'])));
        if (expected === undefined) assert.deepEqual(warnings, []);
        else {
          assert.equal(warnings.length, 1, JSON.stringify(agent.logs));
          assert.equal(warnings[0]!['level'], 40);
          assert.ok(String(warnings[0]!['msg']).endsWith(`: ${expected}`), String(warnings[0]!['msg']));
        }
        assert.ok(!JSON.stringify(agent.logs).includes('S3cretValue'));
      } finally {
        agent.kill();
        await agent.exited;
      }
    }
  } finally {
    await sim.stop();
    await nats.stop();
  }
});

void test('a config refused at load (exit 78) says the unknown names on stderr too', async () => {
  const agent = spawnAgent({ FSBUS_BROKER_USER: 'agent', FSBUS_BROKER_PASSWROD: 'S3cretValue', FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'env-78' });
  const { code } = await agent.exited;
  assert.equal(code, 78, agent.stderr());
  assert.match(agent.stderr(), /\nfsbus agent: unknown environment variables ignored .*: FSBUS_BROKER_PASSWROD \(did you mean FSBUS_BROKER_PASSWORD\?\)\n$/);
  assert.ok(!agent.stderr().includes('S3cretValue'));
});
