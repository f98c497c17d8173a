/**
 * examples/interop/redis_durable.py — a durable consumer of the agent's Redis Stream with nothing
 * but redis-py — run against a real redis-server, a simulated FreeSWITCH node and an agent with
 * `events.stream` on and a small `max_messages`: it reads in stream order, gets back what it read
 * and never acknowledged, and says which sequences retention trimmed while it was away (pending
 * or never read) — but not those a read whose reply was lost had handed it. The venv (.tools/interop-venv) is made by scripts/setup, as for interop.test.ts.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startRedis } from '@fsbus/testkit';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const python = process.env['FSBUS_INTEROP_PYTHON'] ?? join(root, '.tools/interop-venv/bin/python');
const KEY = 'freeswitch:stream:FREESWITCH_EVENTS';
const MAX_MESSAGES = 100;

/** One line of redis_durable.py's output. */
type Line =
  | { type: 'event'; sequence: number; id: string; subject: string; event_name: string; node_id: string; redelivered: boolean }
  | { type: 'gap'; from: number; to: number; count: number; why: string }
  | { type: 'lost'; why: string }
  | { type: 'done'; events: number; timed_out: boolean };

/** Runs redis_durable.py to its end; every line it printed, parsed. */
async function durable(url: string, args: string[]): Promise<Line[]> {
  const run = promisify(execFile)(python, [join(here, 'redis_durable.py'), url, '--group', 'billing', '--timeout', '15', ...args], { timeout: 60_000 });
  const { stdout } = await run.catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`redis_durable.py failed: ${err.message}\nstdout:\n${err.stdout ?? ''}\nstderr:\n${err.stderr ?? ''}`);
  });
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
}

/**
 * A relay in front of Redis that loses the reply to the first XREADGROUP for new entries (ID ">")
 * sent through it: Redis has assigned them to the consumer, the consumer's connection closes
 * before it hears which. `lost` resolves then; later connections pass everything.
 */
async function replyLosingRelay(redisPort: number): Promise<{ url: string; lost: Promise<void>; close(): Promise<void> }> {
  const open = new Set<Socket>();
  let resolve!: () => void;
  const lost = new Promise<void>((done) => (resolve = done));
  let armed = true;
  const server = createServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1');
    open.add(client).add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    let sent = '';
    let swallow = false;
    client.on('data', (chunk: Buffer) => {
      if (armed) {
        sent += chunk.toString('latin1');
        if (/XREADGROUP/i.test(sent) && sent.includes('\r\n$1\r\n>\r\n')) [armed, swallow] = [false, true];
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!swallow) return void client.write(chunk);
      client.destroy();
      upstream.destroy();
      resolve();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lost,
    close: () =>
      new Promise<void>((done) => {
        for (const s of open) s.destroy();
        server.close(() => done());
      }),
  };
}

const seq = (id: string): number => Number(id.split('-')[1]);
const events = (lines: Line[]) => lines.filter((l): l is Extract<Line, { type: 'event' }> => l.type === 'event');
const gaps = (lines: Line[]) => lines.filter((l): l is Extract<Line, { type: 'gap' }> => l.type === 'gap');
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

void test('redis_durable.py: in order, pending entries again after a crash, trimming told as a gap with its range', async () => {
  const broker = await startRedis();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const redis = new Redis(broker.url);
  let agent: Agent | undefined;
  try {
    const { port } = await sim.start();
    const config = loadConfig({
      values: {
        driver: 'redis',
        node_id: 'interop-1',
        broker: { urls: [broker.url] },
        esl: { host: '127.0.0.1', port },
        events: { include: ['CUSTOM::fsbus::durable'], stream: { enabled: true, max_messages: MAX_MESSAGES } },
        metrics: { enabled: false },
        log_level: 'warn',
      },
      env: {},
    });
    agent = new Agent(config, { logger: pino({ level: 'silent' }) });
    await agent.start();
    await agent.whenReady();

    /** The stream's last sequence (0 before its first entry). */
    const last = async (): Promise<number> => {
      if ((await redis.exists(KEY)) === 0) return 0;
      const info = (await redis.xinfo('STREAM', KEY)) as unknown[];
      return seq(info[info.indexOf('last-generated-id') + 1] as string);
    };
    /** Fires `n` events on the node and waits until the agent has appended them all. */
    const fire = async (n: number): Promise<number> => {
      const target = (await last()) + n;
      sim.core.control.injectEvents({ name: 'CUSTOM', subclass: 'fsbus::durable', count: n });
      while ((await last()) < target) await delay(20);
      return target;
    };
    const first = async (): Promise<number> => seq((await redis.xrange(KEY, '-', '+', 'COUNT', 1))[0]![0]);

    // (a) In stream order, every sequence once, nothing told missing.
    const a = await fire(10);
    const outA = await durable(broker.url, ['--count', String(a)]);
    assert.deepEqual(events(outA).map((e) => e.sequence), range(1, a), JSON.stringify(outA));
    assert.equal(gaps(outA).length, 0);
    // The first is the agent's own agent_start (it passes any include list), then the node's events.
    assert.deepEqual(events(outA).map((e) => e.subject), ['freeswitch.events.custom.fsbus.agent_start', ...Array<string>(a - 1).fill('freeswitch.events.custom.fsbus.durable')]);
    assert.ok(events(outA).every((e) => e.node_id === 'interop-1' && !e.redelivered));

    // (b) A consumer that read three and died before XACK gets those three again, first.
    const b = await fire(5);
    const crashed = await durable(broker.url, ['--count', '3', '--no-ack']);
    assert.deepEqual(events(crashed).map((e) => e.sequence), range(a + 1, a + 3));
    const outB = await durable(broker.url, ['--count', '5']);
    assert.deepEqual(events(outB).map((e) => [e.sequence, e.redelivered]), range(a + 1, b).map((s) => [s, s <= a + 3]), JSON.stringify(outB));
    assert.equal(gaps(outB).length, 0);

    // (c) It reads three and dies again; while it is away the agent appends far past
    // max_messages: those three are trimmed while pending, and more never read. Both are told,
    // as gaps that together cover exactly what is gone, before the entries after them.
    await fire(3);
    await durable(broker.url, ['--count', '3', '--no-ack']);
    const c = await fire(4 * MAX_MESSAGES);
    const kept = await first();
    assert.ok(kept > b + 3, `retention trimmed past what the consumer held (first kept: ${kept})`);
    const outC = await durable(broker.url, ['--count', String(c - kept + 1)]);
    const told = gaps(outC);
    assert.deepEqual(told.flatMap((g) => range(g.from, g.to)), range(b + 1, kept - 1), JSON.stringify(told));
    assert.ok(told.every((g) => g.count === g.to - g.from + 1));
    assert.ok(outC.findIndex((l) => l.type === 'event') > outC.findLastIndex((l) => l.type === 'gap'), 'the gaps come before the events after them');
    assert.deepEqual(events(outC).map((e) => e.sequence), range(kept, c));
    assert.equal((await redis.xpending(KEY, 'billing'))[0], 0, 'nothing left pending: trimmed entries released');

    // (d) The reply to a read of new entries is lost with the connection: Redis assigned them, the
    // consumer never heard. It reads them from its pending list, then the next new ones: no gap
    // told for what it was handed (they were not trimmed).
    const relay = await replyLosingRelay(Number(new URL(broker.url).port));
    try {
      const d = await fire(3);
      const run = durable(relay.url, ['--count', '5']);
      await relay.lost;
      const e = await fire(2);
      const outD = await run;
      assert.deepEqual(events(outD).map((ev) => [ev.sequence, ev.redelivered]), range(d - 2, e).map((s) => [s, s <= d]), JSON.stringify(outD));
      assert.deepEqual(outD.filter((l) => l.type === 'gap' || l.type === 'lost'), [], JSON.stringify(outD));
    } finally {
      await relay.close();
    }
  } finally {
    await agent?.stop();
    await sim.stop();
    redis.disconnect();
    await broker.stop();
  }
});
