// `fsbus agent` as a real process: config errors name the field; SIGTERM shuts down cleanly.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AGENT_VERSION } from '@fsbus/agent';
import { decodeReply } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const main = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));

function fsbus(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main, ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exitOf(child: ReturnType<typeof fsbus>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * `fsbus agent` for node `nodeId` against a simulator at `eslPort` and the broker at `brokerUrl`:
 * its JSON log lines (all of them, as they come) and once it said 'agent started'.
 */
async function startedAgent(nodeId: string, brokerUrl: string, eslPort: number, env: Record<string, string>) {
  const child = fsbus(['agent'], {
    FSBUS_BROKER_URL: brokerUrl,
    FSBUS_NODE_ID: nodeId,
    FSBUS_ESL_PORT: String(eslPort),
    FSBUS_ESL_PASSWORD: 'ClueCon',
    ...env,
  });
  const exited = exitOf(child);
  const logs: Array<Record<string, unknown>> = [];
  const lines = createInterface({ input: child.stdout });
  try {
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry['msg'] === 'agent started') resolve();
      });
      void exited.then((code) => reject(new Error(`agent exited early (${code}): ${JSON.stringify(logs)}`)));
    });
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw err;
  }
  return { child, exited, logs };
}

void test('a bad config stops the agent at start, naming the field', async () => {
  const child = fsbus(['agent'], { FSBUS_ESL_PORT: 'not-a-port' });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  assert.equal(await exitOf(child), 78);
  assert.match(stderr, /invalid config: FSBUS_ESL_PORT/);
});

void test('fsbus agent serves requests, logs JSON, and exits 0 on SIGTERM', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const client = await createDriver('nats', { urls: [nats.url] });
  let child: ChildProcess | undefined;
  try {
    const agent = await startedAgent('proc-1', nats.url, port, { FSBUS_METRICS_PORT: '0', FSBUS_METRICS_HOST: '127.0.0.1' });
    child = agent.child;
    const { exited, logs } = agent;
    await client.connect();
    const r = decodeReply((await client.request('freeswitch.node.proc-1', new TextEncoder().encode('{"command":"agent.status"}'), { timeoutMs: 5000 })).data);
    assert.equal(r.success, true);
    assert.equal(r.node_id, 'proc-1');
    assert.ok(!JSON.stringify(logs).includes('ClueCon'), 'a secret reached the log');
    // Port 0 picks a free port: the start line says which, so a scraper can find /metrics.
    const started = logs.find((l) => l['msg'] === 'agent started') as { metrics?: { host: string; port: number }; version?: string; esl?: string };
    const { metrics } = started;
    assert.ok(metrics !== undefined, 'the start line names the metrics address');
    // After an upgrade, the journal says which build came up, and which FreeSWITCH it serves.
    assert.equal(started.version, AGENT_VERSION);
    assert.equal(started.esl, `127.0.0.1:${port}`);
    assert.equal(metrics.host, '127.0.0.1');
    const scraped = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
    assert.match(await scraped.text(), /^process_resident_memory_bytes\{node_id="proc-1"\} \d+/m);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(logs.some((l) => l['msg'] === 'agent stopped'));
  } finally {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await client.close();
    await sim.stop();
    await nats.stop();
  }
});

void test('a stop that cannot finish (the broker frozen) exits 1 after shutdown_timeout_ms, saying so', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  let child: ChildProcess | undefined;
  try {
    const agent = await startedAgent('proc-2', nats.url, port, { FSBUS_METRICS: 'false', FSBUS_SHUTDOWN_TIMEOUT_MS: '1500' });
    child = agent.child;
    const { exited, logs } = agent;
    // Connections stay open and nothing is answered: the agent's flush on the way out waits for ever.
    await nats.pause();
    child.kill('SIGTERM');
    let bound: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<string>((resolve) => (bound = setTimeout(() => resolve('still running 20 s after SIGTERM'), 20_000)));
    assert.equal(await Promise.race([exited, gaveUp]), 1);
    clearTimeout(bound);
    const line = logs.find((l) => l['msg'] === 'agent did not stop in time: exiting anyway');
    assert.ok(line !== undefined, JSON.stringify(logs));
    assert.equal(line['timeout_ms'], 1500);
    assert.ok(!logs.some((l) => l['msg'] === 'agent stopped'));
  } finally {
    if (child?.exitCode === null) child.kill('SIGKILL');
    nats.resume();
    await sim.stop();
    await nats.stop();
  }
});
