// examples/deploy/ is what an admin copies to /etc: agent.yaml loaded by the real config loader
// (every commented-out key too), agent.env.example's names the agent's, the unit the same as
// docs/deploy.md shows, and park mode's port the one docs/call-control.md's gateway-url names.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentEnvNames, loadConfig } from '../src/config/load-config.js';
import { makeTestCertificate, processTempDir, type TestCertificate } from '@fsbus/testkit';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), 'utf8');
const yaml = read('examples/deploy/agent.yaml');
const envExample = read('examples/deploy/agent.env.example');
const TLS_DIR = '/etc/fsbus/tls/';

/** NAME=value lines as systemd's EnvironmentFile reads them (`#` starts a comment only at the start of a line). */
function envFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m !== null) env[m[1]!] = m[2]!;
  }
  return env;
}

let cert: TestCertificate;
let temp: ReturnType<typeof processTempDir>;
before(async () => {
  cert = await makeTestCertificate();
  temp = processTempDir('fsbus-deploy-example-');
  // The files the example names, under a directory of the test's own.
  copyFileSync(cert.certFile, join(temp.dir, 'ca.pem'));
  copyFileSync(cert.certFile, join(temp.dir, 'agent.pem'));
  copyFileSync(cert.keyFile, join(temp.dir, 'agent-key.pem'));
});
after(async () => {
  await cert.remove();
  temp.remove();
});

function load(text: string, env: Record<string, string>) {
  const file = join(temp.dir, 'agent.yaml');
  writeFileSync(file, text.replaceAll(TLS_DIR, `${temp.dir}/`));
  return loadConfig({ file, env });
}

void test('examples/deploy/agent.yaml loads with agent.env.example as its environment', () => {
  assert.ok(yaml.includes(TLS_DIR), `the example's TLS files are under ${TLS_DIR}`);
  const c = load(yaml, envFile(envExample));
  assert.equal(c.driver, 'nats');
  assert.equal(c.dialplan.port, 8040);
  assert.deepEqual(c.broker.tls, { ca_file: `${temp.dir}/ca.pem` });
  assert.equal(c.broker.user, 'fsbus-agent');
  assert.equal(c.secrets.brokerPassword, 'change-me');
  assert.equal(c.secrets.eslPassword, 'change-me');
});

void test("agent.yaml's commented-out keys load too, once uncommented", () => {
  const uncommented = yaml.replace(/^(\s*)# ([a-z_]+: .*)$/gm, '$1$2');
  assert.notEqual(uncommented, yaml);
  // dialplan.user takes its password from the environment (both or neither).
  const c = load(uncommented, { ...envFile(envExample), FSBUS_DIALPLAN_PASSWORD: 'x' });
  assert.equal(c.node_id, 'fs-node-01');
  assert.equal(c.dialplan.user, 'fs');
  assert.ok(c.commands.allowlist.length > 0);
  assert.equal(typeof c.broker.tls === 'object' ? c.broker.tls.key_file : undefined, `${temp.dir}/agent-key.pem`);
});

void test('agent.env.example names only variables the agent reads', () => {
  const names = [...envExample.matchAll(/^#?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  assert.ok(names.length >= 5, names.join());
  const known = new Set(agentEnvNames());
  assert.deepEqual(names.filter((n) => !known.has(n)), []);
});

void test("docs/deploy.md's unit is examples/deploy/fsbus-agent.service; TimeoutStopSec is above shutdown_timeout_ms", () => {
  const unit = read('examples/deploy/fsbus-agent.service');
  const shown = /```ini\n([\s\S]*?)```/.exec(read('docs/deploy.md'))?.[1];
  assert.equal(shown, unit);
  const stopSec = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]);
  const byDefault = loadConfig({ env: { FSBUS_NODE_ID: 'n1' } }).shutdown_timeout_ms;
  const inExample = load(yaml, envFile(envExample)).shutdown_timeout_ms;
  assert.ok(stopSec * 1000 > Math.max(byDefault, inExample), `TimeoutStopSec=${stopSec} is not above shutdown_timeout_ms`);
  assert.match(unit, /shutdown_timeout_ms/, 'the unit names the setting to raise with it');
  // One audit line per command: at a few hundred a second journald's default rate limit drops lines, warnings too (deploy.md, Logs).
  assert.match(unit, /^LogRateLimitIntervalSec=0$/m, 'the unit lifts journald\'s rate limit');
});

void test("park mode: agent.yaml's dialplan port and path are those of docs/call-control.md's gateway-url", () => {
  const url = /<param name="gateway-url" value="(http:\/\/[^"]+)"/.exec(read('docs/call-control.md'))?.[1];
  assert.ok(url !== undefined);
  const c = load(yaml, envFile(envExample));
  const { hostname, port, pathname } = new URL(url);
  assert.deepEqual([hostname, Number(port), pathname], [c.dialplan.host, c.dialplan.port, c.dialplan.path]);
});
