import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnUntil, stopChild } from '@fsbus/testkit';

/** A process as /proc knows it: its pid and start time, so a reused pid is not taken for it. */
interface Proc {
  pid: number;
  start: string;
  name: string;
}

function procStat(pid: number): { state: string; ppid: number; start: string; name: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), start: fields[19]!, name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) };
  } catch {
    return undefined;
  }
}

/** Every process below `root` (children, their children…), read from /proc. */
function descendants(root: number): Proc[] {
  const children = new Map<number, Proc[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s === undefined) continue;
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), { pid: Number(name), start: s.start, name: s.name }]);
  }
  const found: Proc[] = [];
  for (let queue = [root]; queue.length > 0; ) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next.map((p) => p.pid));
  }
  return found;
}

/** Still running: same pid and start time, not a zombie. */
function running(p: Proc): boolean {
  const s = procStat(p.pid);
  return s !== undefined && s.start === p.start && s.state !== 'Z';
}

/** The owner is gone, so nothing tells us when its brokers are: ask /proc until they are (bounded). */
async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/**
 * A test process of its own (`code`, ESM, this test's loader) with a private TMPDIR, so every temp
 * dir it makes is found there; it prints 'ready' once its brokers run.
 */
function owner(code: string): { pid: number; tmp: string; ready: Promise<void>; exited: Promise<number | string | null>; kill(s: NodeJS.Signals): void } {
  const tmp = mkdtempSync(join(tmpdir(), 'fsbus-owner-test-'));
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', code], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (c, s) => resolve(c ?? s)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) resolve();
    });
    void exited.then((c) => reject(new Error(`owner exited (${c}) before ready: ${out}`)));
  });
  return { pid: child.pid!, tmp, ready, exited, kill: (s) => child.kill(s) };
}

/** Kills what a failed run left behind (by pid, checked against its start time) and removes the TMPDIR. */
function sweep(o: ReturnType<typeof owner>, procs: Proc[]): void {
  o.kill('SIGKILL');
  for (const p of procs.filter(running)) process.kill(p.pid, 'SIGKILL');
  rmSync(o.tmp, { recursive: true, force: true });
}

/** The owner's temp dirs (port claims live elsewhere: they are shared by every process on the machine). */
const leftDirs = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith('fsbus-') && !n.startsWith('fsbus-ports-'));

void test('a test process ended by SIGINT (Ctrl-C) leaves no broker process and no temp dir of any broker kind', async () => {
  const o = owner(`
    import { makeTestCertificate, startKafka, startMosquitto, startNatsServer, startRabbitMq, startRedis } from '@fsbus/testkit';
    const tls = await makeTestCertificate();
    await Promise.all([startRedis({ tls }), startMosquitto({ tls }), startNatsServer({ jetstream: true }), startRabbitMq(), startKafka()]);
    console.log('ready');
    setInterval(() => undefined, 60_000);
  `);
  let procs: Proc[] = [];
  try {
    await o.ready;
    procs = descendants(o.pid);
    assert.ok(procs.length >= 6, `brokers run below the owner: ${procs.length}`);
    assert.deepEqual(leftDirs(o.tmp).map((n) => n.replace(/-[^-]+$/, '')).sort(), ['fsbus-kafka', 'fsbus-mosquitto', 'fsbus-nats', 'fsbus-rabbitmq', 'fsbus-redis', 'fsbus-tls']);
    o.kill('SIGINT');
    assert.equal(await o.exited, 130, 'the signal became an exit');
    await until(() => !procs.some(running), 30_000);
    assert.deepEqual(procs.filter(running), [], 'no process the owner started is left');
    assert.deepEqual(leftDirs(o.tmp), [], 'no temp dir is left');
  } finally {
    sweep(o, procs);
  }
});

void test('a test process killed by SIGKILL takes its brokers along: RabbitMQ (wrapper, beam.smp, epmd) and Redis, and their temp dirs', async () => {
  const o = owner(`
    import { startRabbitMq, startRedis } from '@fsbus/testkit';
    await Promise.all([startRabbitMq(), startRedis()]);
    console.log('ready');
    setInterval(() => undefined, 60_000);
  `);
  let procs: Proc[] = [];
  try {
    await o.ready;
    procs = descendants(o.pid);
    // RabbitMQ's start script, erl's beam.smp below it, epmd and redis-server at least.
    assert.ok(procs.length >= 4, `brokers run below the owner: ${procs.length}`);
    assert.equal(leftDirs(o.tmp).length, 2);
    o.kill('SIGKILL');
    assert.equal(await o.exited, 'SIGKILL');
    await until(() => !procs.some(running) && leftDirs(o.tmp).length === 0, 30_000);
    assert.deepEqual(procs.filter(running), [], 'no process the owner started is left');
    assert.deepEqual(leftDirs(o.tmp), [], 'no temp dir is left');
  } finally {
    sweep(o, procs);
  }
});

/** `sh` that forks a `sleep` (as RabbitMQ's start script forks beam.smp) and prints its pid. */
const FORKS = 'sleep 600 & echo "forked $!"';
const forkedPid = (text: string) => Number(/forked (\d+)/.exec(text)?.[1]);

void test('spawnUntil: a start that fails (exit before ready) leaves nothing the broker forked', async () => {
  const err = await spawnUntil('sh', ['-c', `${FORKS}; exit 3`], /never printed/, 30_000).then(
    () => assert.fail('resolved'),
    (e: Error) => e,
  );
  assert.match(err.message, /exited \(3\) before ready/);
  const pid = forkedPid(err.message);
  assert.ok(pid > 0, err.message);
  const proc = { pid, start: procStat(pid)?.start ?? '', name: 'sleep' };
  try {
    assert.equal(running(proc), false, 'the forked sleep was killed with its group before the start failed');
  } finally {
    if (running(proc)) process.kill(pid, 'SIGKILL');
  }
});

void test('stopChild: a broker that ignores SIGTERM is killed after the grace with everything it forked', async () => {
  const started = await spawnUntil('sh', ['-c', `trap '' TERM; ${FORKS}; wait`], /forked \d+/, 30_000);
  const pid = forkedPid(started.match[0]);
  const proc = { pid, start: procStat(pid)!.start, name: 'sleep' };
  try {
    await stopChild(started.child, 200);
    assert.equal(started.child.signalCode, 'SIGKILL');
    assert.equal(running(proc), false, 'the forked sleep went with it');
  } finally {
    if (running(proc)) process.kill(pid, 'SIGKILL');
  }
});
