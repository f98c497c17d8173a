// A reviewer scripting the CLI (cron, CI) found the broker connect wait fixed at ≈3 s whatever
// --timeout said: `fsbus status -s <blackholed> --timeout 500` took as long as with 20000, so a job
// could not bound its run. The connect wait is now the smaller of --timeout (or FSBUS_TIMEOUT_MS)
// and the CLI's 3000 ms, and a connect that times out says the wait it had and what set it. The
// broker here is a loopback server that accepts and never speaks: nothing answers, deterministically.
import { strict as assert } from 'node:assert';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connectOptions, CONNECT_TIMEOUT_MS, resolveConnection } from '../src/bus/global-options.js';
import { cliEnv, runCli } from './support/run-cli.js';

const NO_DEMO = { FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' };

void describe('the broker connect wait follows --timeout', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let url: string;
  before(async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    assert.ok(address !== null && typeof address === 'object');
    url = `nats://127.0.0.1:${address.port}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  void it('is the smaller of --timeout / FSBUS_TIMEOUT_MS and 3000 ms', () => {
    const wait = (values: Record<string, string>, env: NodeJS.ProcessEnv = {}): number | undefined =>
      connectOptions(resolveConnection({ server: 'nats://127.0.0.1:4222', ...values }, env), env).connectTimeoutMs;
    assert.equal(CONNECT_TIMEOUT_MS, 3000);
    assert.equal(wait({}), 3000);
    assert.equal(wait({ timeout: '500' }), 500);
    assert.equal(wait({}, { FSBUS_TIMEOUT_MS: '700' }), 700);
    assert.equal(wait({ timeout: '20000' }), 3000);
  });

  void it('a connect that times out names its wait and what set it, exit 3 (status, events, --json)', async () => {
    const status = await runCli(['status', '-s', url, '--timeout', '300'], cliEnv(NO_DEMO));
    assert.equal(status.code, 3, status.err);
    const line = /^fsbus status: FSBUS_ERR_CLIENT_CONNECT: cannot connect to NATS \(nats:\/\/127\.0\.0\.1:\d+\): timeout \(connect wait 300 ms, --timeout\)$/m;
    assert.match(status.err, line);

    const events = await runCli(['events', '-s', url], cliEnv({ ...NO_DEMO, FSBUS_TIMEOUT_MS: '400' }));
    assert.equal(events.code, 3, events.err);
    assert.match(events.err, /^fsbus events: FSBUS_ERR_CLIENT_CONNECT: .*: timeout \(connect wait 400 ms, FSBUS_TIMEOUT_MS\)$/m);

    // --json: the error document carries the same message as the stderr line.
    const json = await runCli(['api', 'status', '-s', url, '--timeout', '300', '--json'], cliEnv(NO_DEMO));
    assert.equal(json.code, 3, json.err);
    const doc = JSON.parse(json.out) as { error: { code: string; message: string } };
    assert.equal(doc.error.code, 'FSBUS_ERR_CLIENT_CONNECT');
    assert.match(doc.error.message, /: timeout \(connect wait 300 ms, --timeout\)$/);
  });

  void it('a --timeout above the CLI wait leaves it at 3000 ms, said without a source', async () => {
    const r = await runCli(['status', '-s', url, '--timeout', '20000'], cliEnv(NO_DEMO));
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /^fsbus status: FSBUS_ERR_CLIENT_CONNECT: .*: timeout \(connect wait 3000 ms\)$/m);
  });
});
