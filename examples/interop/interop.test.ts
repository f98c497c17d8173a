/**
 * The "any language" proof, run in CI: for every driver, a real broker (test kit), a simulated
 * FreeSWITCH node and an fsbus agent on that driver; then examples/interop/interop.py — Python
 * with only that broker's own client library — sends {"command":"status"} and reads an event.
 * The Python venv (.tools/interop-venv, packages from PyPI) is made by scripts/setup.
 */
import { describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { freePort, startKafka, startMosquitto, startNatsServer, startRabbitMq, startRedis } from '@fsbus/testkit';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const python = process.env['FSBUS_INTEROP_PYTHON'] ?? join(root, '.tools/interop-venv/bin/python');

interface Broker {
  url: string;
  stop(): Promise<void>;
}

const BROKERS: ReadonlyArray<readonly [driver: string, start: () => Promise<Broker>]> = [
  ['nats', () => startNatsServer()],
  ['amqp', () => startRabbitMq()],
  ['redis', () => startRedis()],
  ['mqtt', () => startMosquitto()],
  ['kafka', () => startKafka()],
  // Brokerless: the agent binds the endpoint the script connects to.
  ['zmq', async () => ({ url: `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`, stop: async () => {} })],
];

/** Resolves once the agent is ready (broker and FreeSWITCH), re-checked on each state change. */
function ready(agent: Agent, timeoutMs = 30_000): Promise<void> {
  if (agent.ready) return Promise.resolve();
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      off();
      rej(new Error(`agent not ready (broker ${agent.brokerStatus}, esl ${agent.eslStatus})`));
    }, timeoutMs);
    const off = agent.onStateChange(() => {
      if (!agent.ready) return;
      clearTimeout(timer);
      off();
      res();
    });
  });
}

void describe('interop: Python with each broker’s own client talks to an fsbus agent', () => {
  void test('the Python venv is there (scripts/setup makes it)', () => {
    assert.ok(existsSync(python), `${python} missing: run ./scripts/setup`);
  });

  for (const [driver, start] of BROKERS) {
    void test(`${driver}: {"command":"status"} and an event, from Python`, async () => {
      const broker = await start();
      const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
      let agent: Agent | undefined;
      try {
        const { port } = await sim.start();
        const config = loadConfig({
          values: {
            driver,
            node_id: 'interop-1',
            broker: { urls: [broker.url] },
            esl: { host: '127.0.0.1', port },
            metrics: { enabled: false },
            log_level: 'warn',
          },
          env: {},
        });
        agent = new Agent(config, { logger: pino({ level: 'silent' }) });
        await agent.start();
        await ready(agent);
        const { stdout } = await promisify(execFile)(python, [join(here, 'interop.py'), driver, broker.url, '--timeout', '20'], { timeout: 60_000 });
        const out = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: boolean; reply: { success: boolean; node_id: string }; event: { event_name: string; node_id: string } };
        assert.equal(out.ok, true, stdout);
        assert.equal(out.reply.success, true);
        assert.equal(out.reply.node_id, 'interop-1');
        assert.deepEqual(out.event, { event_name: 'API', node_id: 'interop-1' });
      } finally {
        await agent?.stop();
        await sim.stop();
        await broker.stop();
      }
    });
  }
});
