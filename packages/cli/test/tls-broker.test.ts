// The CLI against a TLS broker with a private CA, as docs/deploy.md sends operators to it: the CA
// (and a client certificate) from --tls-ca/--tls-cert/--tls-key or the agent's FSBUS_BROKER_TLS_*
// variables, the flag first; the files checked before connecting; a certificate the CLI cannot
// verify said as such, naming the CA setting, not as a broker that does not run. A real agent
// bridges a simulated node over a real TLS nats-server.
import { strict as assert } from 'node:assert';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { makeTestCertificate, processTempDir, startNatsServer, type NatsServerHandle, type TestCertificate } from '@fsbus/testkit';
import { agentUntil } from './support/cli-cluster.js';
import { cliEnv, runCli } from './support/run-cli.js';

const noState = { FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' };

void describe('a TLS broker with a private CA', () => {
  let cert: TestCertificate;
  let nats: NatsServerHandle;
  let sim: Simulator;
  let agent: Agent | undefined;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    cert = await makeTestCertificate();
    nats = await startNatsServer({ tls: cert });
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: 'tls-node' });
    const { port } = await sim.start();
    const started = new Agent(
      loadConfig({
        values: { node_id: 'tls-node', log_level: 'silent', broker: { urls: [nats.url], tls: { ca_file: cert.certFile } }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false } },
        env: {},
      }),
    );
    agent = started;
    await started.start();
    await agentUntil(started, () => started.ready, 'agent ready over TLS');
    env = cliEnv({ FSBUS_BROKER_URL: nats.url.replace(/^nats:/, 'tls:'), ...noState });
  });
  after(async () => {
    await agent?.stop();
    await sim?.stop();
    await nats?.stop();
    await cert?.remove();
  });

  void it('status with --tls-ca, and with FSBUS_BROKER_TLS_CA', async () => {
    const flag = await runCli(['status', '--tls-ca', cert.certFile], env);
    assert.equal(flag.code, 0, flag.err);
    assert.match(flag.out, /tls-node/);
    const fromEnv = await runCli(['status'], { ...env, FSBUS_BROKER_TLS_CA: cert.certFile });
    assert.equal(fromEnv.code, 0, fromEnv.err);
    assert.match(fromEnv.out, /tls-node/);
  });

  void it('the flag wins over the variable (the variable not even read)', async () => {
    const r = await runCli(['status', '--tls-ca', cert.certFile], { ...env, FSBUS_BROKER_TLS_CA: '/nonexistent/ca.pem' });
    assert.equal(r.code, 0, r.err);
  });

  void it('without the CA: exit 3, the hint says the certificate could not be verified and names the CA setting', async () => {
    const r = await runCli(['status'], env);
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /FSBUS_ERR_CLIENT_CONNECT: /);
    assert.match(r.err, /^hint: the broker's TLS certificate could not be verified with this host's trusted CAs .*--tls-ca .*FSBUS_BROKER_TLS_CA/m);
    assert.doesNotMatch(r.err, /check that the broker runs there/);
  });

  void it('with a CA that did not sign it: the hint names the file', async () => {
    const other = await makeTestCertificate();
    try {
      const r = await runCli(['status', '--tls-ca', other.certFile], env);
      assert.equal(r.code, 3, r.err);
      assert.match(r.err, new RegExp(`^hint: the broker's TLS certificate could not be verified with the CA in ${other.certFile} \\(--tls-ca\\)`, 'm'));
    } finally {
      await other.remove();
    }
  });

  void it('a TLS file missing or holding no certificate is a usage error naming the flag or variable, before connecting', async () => {
    const missing = await runCli(['status', '--tls-ca', '/nonexistent/ca.pem'], env);
    assert.equal(missing.code, 2, missing.err);
    assert.match(missing.err, /^fsbus status: --tls-ca: cannot read \/nonexistent\/ca\.pem \(ENOENT\); see fsbus status --help$/m);
    const notPem = await runCli(['status'], { ...env, FSBUS_BROKER_TLS_CA: '/etc/hostname' });
    assert.equal(notPem.code, 2, notPem.err);
    assert.match(notPem.err, /^fsbus status: FSBUS_BROKER_TLS_CA: \/etc\/hostname holds no PEM certificate/m);
    const empty = await runCli(['status', '--tls-ca', ''], env);
    assert.equal(empty.code, 2, empty.err);
    assert.match(empty.err, /^fsbus status: --tls-ca names no file; see fsbus status --help$/m);
    const noKey = await runCli(['status', '--tls-ca', cert.certFile, '--tls-cert', cert.certFile], env);
    assert.equal(noKey.code, 2, noKey.err);
    assert.match(noKey.err, /^fsbus status: --tls-cert needs a key: --tls-key or FSBUS_BROKER_TLS_KEY/m);
  });
});

void describe('a TLS broker requiring client certificates', () => {
  let cert: TestCertificate;
  let nats: NatsServerHandle;
  let remove: (() => void) | undefined;
  before(async () => {
    cert = await makeTestCertificate();
    // The test kit's nats-server has no option for it: a wrapper adds --tlsverify, trusting the
    // test certificate as the clients' CA (it is its own CA, and the client's certificate too).
    const temp = processTempDir('fsbus-tlsverify-');
    remove = () => temp.remove();
    const wrapper = join(temp.dir, 'nats-server-tlsverify');
    const bin = process.env['FSBUS_NATS_SERVER'] ?? 'nats-server';
    await writeFile(wrapper, `#!/bin/sh\nexec ${JSON.stringify(bin)} "$@" --tlsverify --tlscacert ${JSON.stringify(cert.certFile)}\n`);
    await chmod(wrapper, 0o755);
    nats = await startNatsServer({ tls: cert, binary: wrapper });
  });
  after(async () => {
    await nats?.stop();
    await cert?.remove();
    remove?.();
  });

  void it('refused without a client certificate; connects with --tls-cert/--tls-key and with FSBUS_BROKER_TLS_CERT/_KEY', async () => {
    const env = cliEnv({ FSBUS_BROKER_URL: nats.url.replace(/^nats:/, 'tls:'), FSBUS_BROKER_TLS_CA: cert.certFile, ...noState });
    const without = await runCli(['status', '--timeout', '300'], env);
    assert.equal(without.code, 3, without.err);
    assert.match(without.err, /FSBUS_ERR_CLIENT_CONNECT/);
    // Connected (no agent on this broker: exit 4, not 3).
    const flags = await runCli(['status', '--timeout', '300', '--tls-cert', cert.certFile, '--tls-key', cert.keyFile], env);
    assert.equal(flags.code, 4, flags.err);
    assert.match(flags.err, /FSBUS_ERR_CLIENT_NO_RESPONDERS/);
    const vars = await runCli(['status', '--timeout', '300'], { ...env, FSBUS_BROKER_TLS_CERT: cert.certFile, FSBUS_BROKER_TLS_KEY: cert.keyFile });
    assert.equal(vars.code, 4, vars.err);
  });
});
