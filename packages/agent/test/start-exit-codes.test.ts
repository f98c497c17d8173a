// `fsbus agent` exits 78 (EX_CONFIG, as for a configuration error) when the start failed for a
// reason retrying cannot fix, so that the documented unit (RestartPreventExitStatus=78) stops
// instead of restarting every 2 s for ever: the broker refusing the credentials, a broker TLS
// certificate the configured CA (or the system's) cannot verify or that does not name the URL's
// host, a metrics.host (or dialplan.host) that is not an address of this host. They used to exit
// 1. A broker not reachable yet and a metrics or dialplan port in use can fix themselves: still 1.
// The hint names the settings of the server that failed, told by the error (not by its address:
// both servers may be on one host).
// Real processes, a real nats-server (with users, with TLS); certificates made by openssl.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, makeTestCertificate, processTempDir, startNatsServer, type NatsServerHandle, type TestCertificate } from '@fsbus/testkit';
import { spawnAgent, type AgentProcess } from './support/agent-process.js';
import type { Log } from './support/fault-rig.js';

let nats: NatsServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(() => nats.stop());

/** What a start needs besides the broker: FreeSWITCH is not needed (the agent starts without it). */
const BASE = { FSBUS_NODE_ID: 'exit-codes', FSBUS_ESL_PORT: '1', FSBUS_METRICS: 'false' };

async function failed(env: Record<string, string>): Promise<{ code: number | null; fatal: Log; agent: AgentProcess }> {
  const agent = spawnAgent({ ...BASE, ...env });
  try {
    const { code } = await agent.exited;
    const fatal = agent.logs.find((l) => l['msg'] === 'agent could not start');
    assert.ok(fatal !== undefined, `no 'agent could not start' line: ${JSON.stringify(agent.logs)} ${agent.stderr()}`);
    assert.equal(fatal['level'], 60);
    return { code, fatal, agent };
  } finally {
    agent.kill();
  }
}

const errMessage = (l: Log): string => String((l['err'] as { message?: unknown } | undefined)?.message);

void test('the broker refusing the credentials at start: exit 78, with the hint naming the settings', async () => {
  const secured = await startNatsServer({ user: { name: 'agent', password: 'right' } });
  try {
    const { code, fatal } = await failed({ FSBUS_BROKER_URL: secured.url, FSBUS_BROKER_USER: 'agent', FSBUS_BROKER_PASSWORD: 'wrong' });
    assert.equal(code, 78, JSON.stringify(fatal));
    assert.match(String(fatal['hint']), /^the broker refused the agent's credentials: check FSBUS_BROKER_PASSWORD/);
  } finally {
    await secured.stop();
  }
});

void describe('a broker TLS certificate that cannot be verified', () => {
  let cert: TestCertificate;
  let tls: NatsServerHandle;
  before(async () => {
    cert = await makeTestCertificate();
    tls = await startNatsServer({ tls: cert });
  });
  after(async () => {
    await tls.stop();
    await cert.remove();
  });

  void test("a broker TLS CA file that cannot verify the server (another CA's certificate): exit 78, naming the file", async () => {
    const other = await makeTestCertificate();
    try {
      const url = tls.url.replace(/^nats:/, 'tls:');
      const { code, fatal } = await failed({ FSBUS_BROKER_URL: url, FSBUS_BROKER_TLS_CA: other.certFile });
      assert.equal(code, 78, JSON.stringify(fatal));
      assert.match(errMessage(fatal), /self-signed certificate/);
      assert.ok(String(fatal['hint']).startsWith("the broker's TLS certificate could not be verified with the CA in " + other.certFile), String(fatal['hint']));
    } finally {
      await other.remove();
    }
  });

  void test('a broker TLS CA file holding no certificate (/etc/hostname): exit 78 at load, naming the variable and the file', async () => {
    const agent = spawnAgent({ ...BASE, FSBUS_BROKER_URL: tls.url.replace(/^nats:/, 'tls:'), FSBUS_BROKER_TLS_CA: '/etc/hostname' });
    try {
      const { code } = await agent.exited;
      assert.equal(code, 78, agent.stderr());
      assert.match(agent.stderr(), /invalid config: FSBUS_BROKER_TLS_CA: \/etc\/hostname holds no PEM certificate/);
    } finally {
      agent.kill();
    }
  });

  void test('TLS without a CA against a self-signed server: exit 78, saying to give its CA', async () => {
    const url = tls.url.replace(/^nats:/, 'tls:');
    const { code, fatal } = await failed({ FSBUS_BROKER_URL: url });
    assert.equal(code, 78, JSON.stringify(fatal));
    assert.match(String(fatal['hint']), /^the broker's TLS certificate could not be verified .*FSBUS_BROKER_TLS_CA/);
  });
});

void test("a certificate with only an IP SAN, the URL by IP (nats.js checks it against 'localhost'): exit 78, saying to name the host", async () => {
  const dir = processTempDir('fsbus-ip-san-');
  const certFile = join(dir.dir, 'cert.pem');
  const keyFile = join(dir.dir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '1', '-subj', '/CN=broker-test', '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  const server = await startNatsServer({ tls: { certFile, keyFile } });
  try {
    const { code, fatal } = await failed({ FSBUS_BROKER_URL: server.url.replace(/^nats:/, 'tls:'), FSBUS_BROKER_TLS_CA: certFile });
    assert.equal(code, 78, JSON.stringify(fatal));
    assert.match(errMessage(fatal), /Host: localhost\. is not cert's CN: broker-test/);
    assert.match(String(fatal['hint']), /^the broker's TLS certificate does not name the host of the broker URL: .*DNS name/);
  } finally {
    await server.stop();
    dir.remove();
  }
});

void test('metrics.host not an address of this host (EADDRNOTAVAIL): exit 78, naming FSBUS_METRICS_HOST', async () => {
  // 192.0.2.1: TEST-NET-1 (RFC 5737), on no host's interface.
  const { code, fatal } = await failed({ FSBUS_BROKER_URL: nats.url, FSBUS_METRICS: 'true', FSBUS_METRICS_HOST: '192.0.2.1', FSBUS_METRICS_PORT: '0' });
  assert.equal(code, 78, JSON.stringify(fatal));
  assert.match(errMessage(fatal), /^cannot serve metrics on 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this host \(EADDRNOTAVAIL\)/);
  assert.match(String(fatal['hint']), /metrics\.host \(FSBUS_METRICS_HOST\)/);
});

void test('dialplan.host not an address of this host: exit 78, naming FSBUS_DIALPLAN_HOST', async () => {
  const port = await freePort();
  const { code, fatal } = await failed({ FSBUS_BROKER_URL: nats.url, FSBUS_DIALPLAN_HOST: '192.0.2.1', FSBUS_DIALPLAN_PORT: String(port) });
  assert.equal(code, 78, JSON.stringify(fatal));
  assert.match(errMessage(fatal), new RegExp(`^cannot serve the dialplan endpoint on 192\\.0\\.2\\.1:${port}: 192\\.0\\.2\\.1 is not an address`));
  assert.match(String(fatal['hint']), /^set dialplan\.host \(FSBUS_DIALPLAN_HOST\) to an address of this host/);
});

/** A port on 127.0.0.1 held by a real listening socket: whoever binds it next gets EADDRINUSE. */
async function heldPort(): Promise<{ port: number; release(): Promise<void> }> {
  const holder: Server = createServer();
  const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
  return { port, release: () => new Promise((resolve) => holder.close(() => resolve())) };
}

// Both servers on one host: which one failed is not told by the address (the hint used to blame metrics).
void test('metrics.host and dialplan.host both not of this host: exit 78, naming FSBUS_DIALPLAN_HOST (the endpoint listens first)', async () => {
  const { code, fatal } = await failed({
    FSBUS_BROKER_URL: nats.url,
    FSBUS_METRICS: 'true',
    FSBUS_METRICS_HOST: '192.0.2.1',
    FSBUS_METRICS_PORT: '0',
    FSBUS_DIALPLAN_HOST: '192.0.2.1',
    FSBUS_DIALPLAN_PORT: '0',
  });
  assert.equal(code, 78, JSON.stringify(fatal));
  assert.match(errMessage(fatal), /^cannot serve the dialplan endpoint on 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this host \(EADDRNOTAVAIL\)/);
  assert.match(String(fatal['hint']), /^set dialplan\.host \(FSBUS_DIALPLAN_HOST\) to an address of this host/);
});

// Both servers on one host, one port held by another process (it can be freed): exit 1, naming that server's port setting.
for (const [server, name, setting] of [
  ['DIALPLAN', 'the dialplan endpoint', 'dialplan\\.port \\(FSBUS_DIALPLAN_PORT\\)'],
  ['METRICS', 'metrics', 'metrics\\.port \\(FSBUS_METRICS_PORT\\)'],
] as const) {
  void test(`the ${server.toLowerCase()} port in use, the other server on the same host: exit 1, naming ${name}, its port and its setting`, async () => {
    const held = await heldPort();
    try {
      const { code, fatal } = await failed({
        FSBUS_BROKER_URL: nats.url,
        FSBUS_METRICS: 'true',
        FSBUS_METRICS_HOST: '127.0.0.1',
        FSBUS_METRICS_PORT: server === 'METRICS' ? String(held.port) : '0',
        FSBUS_DIALPLAN_HOST: '127.0.0.1',
        FSBUS_DIALPLAN_PORT: server === 'DIALPLAN' ? String(held.port) : '0',
      });
      assert.equal(code, 1, JSON.stringify(fatal));
      assert.match(errMessage(fatal), new RegExp(`^cannot serve ${name} on 127\\.0\\.0\\.1:${held.port}: the port is in use \\(EADDRINUSE\\)`));
      assert.match(String(fatal['hint']), new RegExp(`^another process listens on 127\\.0\\.0\\.1:${held.port}: stop it, or set ${setting} to a free port`));
    } finally {
      await held.release();
    }
  });
}

void test('metrics.port and dialplan.port the same port on one host (the agent holds it itself): exit 78, naming both settings', async () => {
  const port = await freePort();
  const { code, fatal } = await failed({
    FSBUS_BROKER_URL: nats.url,
    FSBUS_METRICS: 'true',
    FSBUS_METRICS_HOST: '127.0.0.1',
    FSBUS_METRICS_PORT: String(port),
    FSBUS_DIALPLAN_HOST: '127.0.0.1',
    FSBUS_DIALPLAN_PORT: String(port),
  });
  assert.equal(code, 78, JSON.stringify(fatal));
  assert.match(errMessage(fatal), new RegExp(`^cannot serve metrics on 127\\.0\\.0\\.1:${port}: the port is in use \\(EADDRINUSE\\)`));
  assert.equal(fatal['hint'], `metrics.port (FSBUS_METRICS_PORT) and dialplan.port (FSBUS_DIALPLAN_PORT) are both ${port}: give each its own port`);
});

void test('a broker not reachable at start (it may come up): still exit 1', async () => {
  const { code, fatal } = await failed({ FSBUS_BROKER_URL: `nats://127.0.0.1:${await freePort()}` });
  assert.equal(code, 1, JSON.stringify(fatal));
});

void test('a misspelt option (--confg): a usage error, exit 2 (RestartPreventExitStatus lists it too)', async () => {
  const main = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main, 'agent', '--confg', '/etc/fsbus/agent.yaml'], {
    env: { PATH: process.env['PATH'] ?? '', ...BASE, FSBUS_BROKER_URL: nats.url },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2, stderr);
  assert.match(stderr, /--confg/);
});
