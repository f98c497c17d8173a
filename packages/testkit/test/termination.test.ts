import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

/** A node process running `code` (ESM, with this test's loader): its first stdout line, its exit, a way to signal it. */
function script(code: string): { line: Promise<string>; exited: Promise<{ code: number | null; out: string }>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', code], {
    cwd: new URL('..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; out: string }>((resolve) => child.once('exit', (c) => resolve({ code: c, out })));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    void exited.then(() => reject(new Error(`exited before printing: ${out}`)));
  });
  return { line, exited, kill: (s) => child.kill(s) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

void test('a test process killed by SIGTERM still stops the brokers it started', async () => {
  const child = script(`
    import { startNatsServer } from '@fsbus/testkit';
    const nats = await startNatsServer();
    console.log(nats.port);
    setInterval(() => undefined, 60_000);
  `);
  const port = Number(await child.line);
  assert.ok(await accepts(port), 'nats-server listens');
  child.kill('SIGTERM');
  assert.equal((await child.exited).code, 143, 'the signal became an exit');
  // nats-server is not our child: poll its port until it closes (bounded).
  const deadline = Date.now() + 10_000;
  while ((await accepts(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await accepts(port), false, 'nats-server stopped with it');
});

void test('onTermination leaves a signal to the process\'s own handler when it has one', async () => {
  const child = script(`
    import { onTermination } from '@fsbus/testkit';
    onTermination(() => console.log('hook'));
    process.once('SIGTERM', () => { console.log('own shutdown'); setTimeout(() => process.exit(0), 20); });
    console.log('ready');
    setInterval(() => undefined, 60_000);
  `);
  assert.equal(await child.line, 'ready');
  child.kill('SIGTERM');
  const { code, out } = await child.exited;
  assert.equal(code, 0, 'the process shut down its own way');
  assert.deepEqual(out.trim().split('\n'), ['ready', 'own shutdown', 'hook']);
});
