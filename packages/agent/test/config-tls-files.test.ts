// A broker TLS file (broker.tls.ca_file/cert_file/key_file, FSBUS_BROKER_TLS_*) that does not exist
// or cannot be read is a config error at load, naming the field (or env var) and the path:
// `fsbus agent` exits 78 at once instead of failing to start with a bare ENOENT from the driver.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentErrorCode, ConfigError, loadConfig } from '@fsbus/agent';
import { makeTestCertificate, type TestCertificate } from '@fsbus/testkit';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const main = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));

let dir: string;
let cert: TestCertificate;
let readable: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fsbus-config-tls-'));
  cert = await makeTestCertificate();
  readable = cert.certFile;
});
after(async () => {
  await cert.remove();
  await rm(dir, { recursive: true, force: true });
});

function refused(fn: () => unknown, field: string, path: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, AgentErrorCode.CONFIG);
    assert.equal(err.field, field);
    assert.ok(err.message.includes(path), err.message);
    return true;
  });
}

void test('a missing or unreadable broker TLS file is a config error naming the field and the path', () => {
  const missing = join(dir, 'missing.pem');
  const env = { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'redis' };
  refused(() => loadConfig({ env: { ...env, FSBUS_BROKER_TLS_CA: missing } }), 'FSBUS_BROKER_TLS_CA', missing);
  refused(() => loadConfig({ env, values: { broker: { tls: { ca_file: readable, key_file: missing } } } }), 'broker.tls.key_file', missing);
  // A directory exists but cannot be read as a file.
  refused(() => loadConfig({ env, values: { broker: { tls: { cert_file: dir } } } }), 'broker.tls.cert_file', dir);
  assert.deepEqual(loadConfig({ env: { ...env, FSBUS_BROKER_TLS_CA: readable } }).broker.tls, { ca_file: readable });
});

// Node's TLS skips what it cannot parse in a CA list: such a file loaded, and every connect failed
// as "self-signed certificate", blaming the broker instead of the file.
void test('a broker CA or certificate file holding no PEM certificate is a config error naming the field and the path', async () => {
  const env = { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'redis' };
  const truncated = join(dir, 'truncated.pem');
  await writeFile(truncated, '-----BEGIN CERTIFICATE-----\n');
  refused(() => loadConfig({ env: { ...env, FSBUS_BROKER_TLS_CA: cert.keyFile } }), 'FSBUS_BROKER_TLS_CA', cert.keyFile);
  refused(() => loadConfig({ env, values: { broker: { tls: { ca_file: truncated } } } }), 'broker.tls.ca_file', truncated);
  refused(() => loadConfig({ env, values: { broker: { tls: { cert_file: cert.keyFile, key_file: cert.keyFile } } } }), 'broker.tls.cert_file', cert.keyFile);
  assert.throws(() => loadConfig({ env: { ...env, FSBUS_BROKER_TLS_CA: truncated } }), /holds no PEM certificate/);
  // The key file is a key: not checked for certificates.
  assert.deepEqual(loadConfig({ env, values: { broker: { tls: { cert_file: cert.certFile, key_file: cert.keyFile } } } }).broker.tls, { cert_file: cert.certFile, key_file: cert.keyFile });
});

void test('fsbus agent with a missing TLS CA file exits 78 at start, naming the env var', async () => {
  const missing = join(dir, 'missing.pem');
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main, 'agent'], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', FSBUS_NODE_ID: 'n1', FSBUS_BROKER_URL: 'rediss://127.0.0.1:6380', FSBUS_BROKER_TLS_CA: missing, FSBUS_METRICS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 78, stderr);
  assert.match(stderr, /invalid config: FSBUS_BROKER_TLS_CA: /);
  assert.ok(stderr.includes(missing), stderr);
});
