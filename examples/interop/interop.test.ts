/**
 * The "any language" proof, run in CI: for every driver, a real broker (test kit), a simulated
 * FreeSWITCH node and an fsbus agent on that driver; then examples/interop/interop.py — Python
 * with only that broker's own client library — sends {"command":"status"} and reads an event;
 * and pyzmq with CURVE keys against an agent that admits listed client keys only; and
 * examples/interop/go — Go with only the NATS Go client — does the same over NATS, and a whole
 * call (originate, execute_app with forward_to, hangup, the events between) with raw JSON.
 * Where interop.py fails (nothing at the URL, a prefix no agent serves, no library) it still
 * prints its one JSON line, with an `error`, and exits 1: no traceback.
 * The Python venv (.tools/interop-venv, packages from PyPI) and the Go program
 * (.tools/interop-go, the NATS client from the Go module proxy) are made by scripts/setup.
 */
import { describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { freePort, makeCurveKeys, startKafka, startMosquitto, startNatsServer, startRabbitMq, startRedis } from '@fsbus/testkit';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const python = process.env['FSBUS_INTEROP_PYTHON'] ?? join(root, '.tools/interop-venv/bin/python');
const goProgram = join(root, '.tools/interop-go');

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

/** A simulated FreeSWITCH node and a ready agent on `driver` (node id `interop-1`), for `fn`. */
async function withAgent(driver: string, broker: Broker, extra: { curve?: Record<string, unknown>; env?: Record<string, string> }, fn: () => Promise<void>): Promise<void> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  let agent: Agent | undefined;
  try {
    const { port } = await sim.start();
    const config = loadConfig({
      values: {
        driver,
        node_id: 'interop-1',
        broker: { urls: [broker.url], ...(extra.curve === undefined ? {} : { curve: extra.curve }) },
        esl: { host: '127.0.0.1', port },
        metrics: { enabled: false },
        log_level: 'warn',
      },
      env: extra.env ?? {},
    });
    agent = new Agent(config, { logger: pino({ level: 'silent' }) });
    await agent.start();
    await agent.whenReady();
    await fn();
  } finally {
    await agent?.stop();
    await sim.stop();
    await broker.stop();
  }
}

/** What interop.py prints as its last line. */
interface InteropResult {
  ok: boolean;
  reply: { success: boolean; node_id: string };
  event: { event_name: string; node_id: string };
}

/** Runs interop.py (or `program` with `args`); its last line is the result. */
async function interop(args: string[], program: readonly string[] = [python, join(here, 'interop.py')]): Promise<InteropResult & { stdout: string }> {
  const { stdout } = await promisify(execFile)(program[0]!, [...program.slice(1), ...args], { timeout: 60_000 });
  return { ...(JSON.parse(stdout.trim().split('\n').pop()!) as InteropResult), stdout };
}

/**
 * Runs interop.py where it must fail, and holds it to its promise: exit 1 and one JSON line
 * (`ok` false, `error` naming what failed), not a Python traceback. Returns that line's error.
 */
async function interopFailure(args: string[], pythonFlags: readonly string[] = []): Promise<string> {
  const failed = await promisify(execFile)(python, [...pythonFlags, join(here, 'interop.py'), ...args], { timeout: 60_000 }).then(
    ({ stdout }) => assert.fail(`interop.py succeeded: ${stdout}`),
    (err: { code?: number | null; stdout?: string; stderr?: string }) => err,
  );
  const [stdout, stderr] = [failed.stdout ?? '', failed.stderr ?? ''];
  assert.doesNotMatch(stdout + stderr, /Traceback/, `a traceback instead of the JSON line:\n${stderr}`);
  assert.equal(failed.code, 1, `exit code; stderr:\n${stderr}`);
  assert.match(stdout, /^[^\n]+\n$/, `one line on stdout, got:\n${stdout}\nstderr:\n${stderr}`);
  const out = JSON.parse(stdout) as { driver: string; ok: boolean; event?: unknown; error?: unknown };
  assert.equal(out.driver, args[0]);
  assert.equal(out.ok, false);
  // The same shape as on success (README, "The output line"): no event, its fields null.
  assert.deepEqual(out.event, { event_name: null, node_id: null }, `the event of a failed run: ${stdout}`);
  assert.equal(typeof out.error, 'string', `an error field: ${stdout}`);
  return out.error as string;
}

void describe('interop: Python with each broker’s own client talks to an fsbus agent', () => {
  void test('the Python venv is there (scripts/setup makes it)', () => {
    assert.ok(existsSync(python), `${python} missing: run ./scripts/setup`);
  });

  for (const [driver, start] of BROKERS) {
    void test(`${driver}: {"command":"status"} and an event, from Python`, async (t) => {
      const broker = await start();
      await withAgent(driver, broker, {}, async () => {
        const out = await interop([driver, broker.url, '--timeout', '20']);
        assert.equal(out.ok, true, out.stdout);
        assert.equal(out.reply.success, true);
        assert.equal(out.reply.node_id, 'interop-1');
        assert.deepEqual(out.event, { event_name: 'API', node_id: 'interop-1' });
        // The same broker and agent: only the prefix is one nobody serves.
        await t.test(`${driver}, a prefix no agent serves: one JSON line naming it, exit 1, no traceback`, async () => {
          const error = await interopFailure([driver, broker.url, '--prefix', 'nobody', '--timeout', '5']);
          assert.match(error, /^no agent serves nobody\.api\b/);
        });
      });
    });
  }
});

void describe('interop: Python over Redis never makes a lane stream nobody reads', () => {
  void test('redis, no agent: the XADD (NOMKSTREAM) writes nothing, interop.py says no agent serves the lane and exits 1', async () => {
    const broker = await startRedis();
    const redis = new Redis(broker.url);
    try {
      const error = await interopFailure(['redis', broker.url, '--timeout', '2']);
      // Without NOMKSTREAM the XADD made the stream: an agent's group starting later at its end
      // would never read the entry, and the route script takes a stream without marks for served.
      assert.equal(await redis.exists('freeswitch:lane:freeswitch.api'), 0, 'no lane stream made');
      assert.equal(error, 'no agent serves freeswitch.api (no lane stream freeswitch:lane:freeswitch.api; nothing was written)');
    } finally {
      redis.disconnect();
      await broker.stop();
    }
  });
});

void describe('interop: Python over RabbitMQ sends its request mandatory', () => {
  void test('amqp, the exchange there but no agent’s queue bound: the request comes back, interop.py says no agent serves the lane and exits 1', async () => {
    const broker = await startRabbitMq();
    try {
      // What an agent of that prefix declares (drivers/amqp.md); no agent binds a queue to it.
      const conn = await connect(broker.url);
      await (await conn.createChannel()).assertExchange('lonely', 'topic', { durable: true });
      await conn.close();
      // Without `mandatory` the request is dropped unroutable and the script waits out its timeout.
      const error = await interopFailure(['amqp', broker.url, '--prefix', 'lonely', '--timeout', '20']);
      assert.equal(error, 'no agent serves lonely.api (RabbitMQ: no queue bound for lonely.api on the exchange lonely)');
    } finally {
      await broker.stop();
    }
  });
});

void describe('interop: Python says in its JSON line that it cannot reach the broker', () => {
  for (const [driver] of BROKERS) {
    void test(`${driver}, nothing listening at the URL: one JSON line naming it, exit 1, no traceback`, async () => {
      // A port just found free: nothing listens there (for zmq, the agent's two endpoints).
      const url = driver === 'zmq' ? `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}` : `${driver}://127.0.0.1:${await freePort()}`;
      const error = await interopFailure([driver, url, '--timeout', '2']);
      assert.ok(error.startsWith(`cannot reach the ${driver === 'zmq' ? 'agent' : 'broker'} at ${url}`), error);
    });
  }
});

void describe('interop: Python without the broker library names the one to install', () => {
  void test('each driver, with no site-packages (python -S): one JSON line naming its pip package, exit 1, no traceback', async () => {
    const packages = { nats: 'nats-py', amqp: 'pika', redis: 'redis', mqtt: 'paho-mqtt', kafka: 'kafka-python', zmq: 'pyzmq' } as const;
    for (const [driver, pkg] of Object.entries(packages)) {
      const error = await interopFailure([driver, `${driver}://127.0.0.1:1`, '--timeout', '2'], ['-S']);
      assert.ok(error.startsWith(`the ${driver} driver needs ${pkg} (pip install ${pkg})`), error);
    }
  });
});

void describe('interop: Go with the NATS Go client talks to an fsbus agent', () => {
  void test('nats: {"command":"status"} and an event, from Go', async (t) => {
    assert.ok(existsSync(goProgram), `${goProgram} missing: run ./scripts/setup (it needs Go ≥ 1.26)`);
    const broker = await startNatsServer();
    await withAgent('nats', broker, {}, async () => {
      const out = await interop(['-timeout', '20s', broker.url], [goProgram]);
      t.diagnostic(out.stdout.trim());
      assert.equal(out.ok, true, out.stdout);
      assert.equal(out.reply.success, true);
      assert.equal(out.reply.node_id, 'interop-1');
      assert.deepEqual(out.event, { event_name: 'API', node_id: 'interop-1' });
    });
  });

  void test('nats: a call from Go — originate, CHANNEL_ANSWER, execute_app playback with forward_to, hangup, CHANNEL_HANGUP_COMPLETE, hangup again', async (t) => {
    assert.ok(existsSync(goProgram), `${goProgram} missing: run ./scripts/setup (it needs Go ≥ 1.26)`);
    const broker = await startNatsServer();
    await withAgent('nats', broker, {}, async () => {
      // Exit 1 still prints the JSON line: keep it for the assertion's message.
      const { stdout, stderr } = await promisify(execFile)(goProgram, ['-flow', 'call', '-timeout', '20s', broker.url], { timeout: 60_000 }).catch(
        (err: { stdout?: string; stderr?: string; message: string }) => ({ stdout: err.stdout ?? '', stderr: `${err.message}\n${err.stderr ?? ''}` }),
      );
      t.diagnostic(stdout.trim());
      assert.match(stdout, /^[^\n]+\n$/, `one JSON line on stdout, got:\n${stdout}\nstderr:\n${stderr}`);
      const out = JSON.parse(stdout) as { driver: string; flow: string; ok: boolean; uuid: string; node_id: string; seen: unknown[]; error?: string };
      assert.equal(out.ok, true, stdout);
      assert.equal(out.error, undefined);
      assert.deepEqual([out.driver, out.flow, out.node_id], ['nats', 'call', 'interop-1']);
      assert.match(out.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // In the order the program waits for them (docs/call-control.md, "From any language").
      assert.deepEqual(out.seen, [
        { on: 'reply', command: 'originate', success: true, message: 'Call originated successfully' },
        { on: 'event', event: 'CHANNEL_ANSWER' },
        { on: 'reply', command: 'execute_app', success: true, message: 'execute_app dispatched' },
        { on: 'forward_to', command: 'execute_app', success: true, message: 'execute_app dispatched' },
        { on: 'forward_to', event: 'CHANNEL_EXECUTE_COMPLETE', application: 'playback', response: 'FILE PLAYED' },
        { on: 'reply', command: 'hangup', success: true, message: 'Channel hangup successful' },
        { on: 'event', event: 'CHANNEL_HANGUP_COMPLETE', cause: 'NORMAL_CLEARING' },
        { on: 'reply', command: 'hangup', success: false, message: 'Channel hangup failed: no such channel', code: 'FSBUS_ERR_BUS_SESSION_NOT_FOUND' },
      ]);
    });
  });
});

void describe('interop: pyzmq with CURVE keys, against an agent that admits listed client keys only', () => {
  void test('zmq+curve: a listed key pair gets the reply and the event; an unlisted one gets nothing', async () => {
    const server = makeCurveKeys();
    const [listed, unlisted] = [makeCurveKeys(), makeCurveKeys()];
    const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
    const curve = { public_key: server.publicKey, client_keys: [listed.publicKey] };
    await withAgent('zmq', { url, stop: async () => {} }, { curve, env: { FSBUS_ZMQ_CURVE_SECRET_KEY: server.secretKey } }, async () => {
      // `--flag=value`: a Z85 key may start with `-`, which argparse would take for an option.
      const keys = (pair: { publicKey: string; secretKey: string }) => [`--curve-server-key=${server.publicKey}`, `--curve-public-key=${pair.publicKey}`, `--curve-secret-key=${pair.secretKey}`];
      const out = await interop(['zmq', url, '--timeout', '20', ...keys(listed)]);
      assert.equal(out.ok, true, out.stdout);
      assert.equal(out.reply.node_id, 'interop-1');
      assert.equal(out.event.event_name, 'API');
      // Refused at the handshake: the script's first receive times out, and it says so.
      const error = await interopFailure(['zmq', url, '--timeout', '2', ...keys(unlisted)]);
      assert.match(error, /^cannot reach the agent at zmq:\/\/.*refused this client's CURVE key/);
    });
  });
});
