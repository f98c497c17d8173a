/**
 * Spawning a broker binary for tests: wait for a line of its log (never a sleep), stop it with
 * SIGTERM and wait for the exit. Reused by every broker of the test kit.
 *
 * Each broker leads a process group of its own, and its group is what gets killed: RabbitMQ's
 * start script forks erl/beam.smp, which a signal to the script alone leaves running. The group is
 * killed after a failed start, after the stop grace, once the broker exits (what it forked and
 * left), and when this process ends, even by SIGKILL (janitor.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { groupRuns, ownGroup, releaseGroup, signalGroup } from './janitor.js';
import { onTermination } from './termination.js';

export { onTermination } from './termination.js';

export class BrokerStartError extends Error {
  override name = 'BrokerStartError';
}

export interface SpawnedBroker {
  child: ChildProcess;
  /** The first regex match in the log, once it appears. */
  match: RegExpMatchArray;
  /** The log so far, for error messages. */
  log(): string;
}

/** Child processes still running that must not outlive this one (a bench's simulator and agent; spawnUntil's go by their group). */
const running = new Set<ChildProcess>();
let hooked = false;

/** SIGTERMs `child` when this process exits or is terminated by a signal, if it still runs then. */
export function stopOnTermination(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (hooked) return;
  hooked = true;
  onTermination(() => {
    for (const c of running) c.kill('SIGTERM');
  });
}

/** Children started by spawnUntil: each the leader of its own process group. */
const leaders = new WeakSet<ChildProcess>();

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function exited(child: ChildProcess): Promise<void> {
  return hasExited(child) ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGKILLs `child` and, when it leads a group, all of the group. */
function kill(child: ChildProcess): void {
  if (leaders.has(child) && child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  else child.kill('SIGKILL');
}

/** Resolves once no process of the group runs: a killed process takes a moment to go (bounded, for one stuck in the kernel). */
async function groupGone(pgid: number): Promise<void> {
  for (const deadline = Date.now() + 2000; groupRuns(pgid) && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Runs its arguments as a command in a process group of its own, in this process's session:
 * setpgid(0, 0), then exec (the broker keeps the pid, which is the group's id). Not node's
 * `detached`, which is setsid: a session of its own is a scheduler autogroup of its own on Linux,
 * which changes how the broker shares the CPU with the processes it serves (a benchmark measured
 * nats-server at 1.4x its CPU and bus-events saturating a step earlier). perl-base is Essential on
 * Debian. A command that cannot be run says `spawn <bin> ENOENT` (as node's spawn error does).
 */
const OWN_GROUP_EXEC = 'setpgrp(0, 0) or die "setpgrp: $!\\n"; exec { $ARGV[0] } @ARGV; die "spawn $ARGV[0] " . ($!{ENOENT} ? "ENOENT" : "$!") . "\\n"';

/** Spawns `bin args` in a process group of its own and resolves once its output matches `ready` (or fails on exit/timeout). */
export function spawnUntil(
  bin: string,
  args: string[],
  ready: RegExp,
  timeoutMs: number,
  spawnOptions: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<SpawnedBroker> {
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const child = spawn('perl', ['-e', OWN_GROUP_EXEC, bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
    const pgid = child.pid;
    if (pgid !== undefined) {
      leaders.add(child);
      ownGroup(pgid);
      child.once('exit', () => {
        // What it forked and left behind goes too.
        signalGroup(pgid, 'SIGKILL');
        releaseGroup(pgid);
      });
    }
    const finish = (err: Error | undefined, match?: RegExpMatchArray) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === undefined) return resolve({ child, match: match!, log: () => output });
      if (pgid === undefined) return reject(err);
      // A failed start leaves nothing running: the group is gone when the promise rejects.
      kill(child);
      void exited(child)
        .then(() => groupGone(pgid))
        .then(() => reject(err));
    };
    const onData = (chunk: Buffer) => {
      // Bounded: only the last 64 KB of log is kept.
      output = (output + chunk.toString('utf8')).slice(-65536);
      const m = output.match(ready);
      if (m) finish(undefined, m);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => finish(new BrokerStartError(`${bin} could not start: ${err.message}`)));
    child.once('exit', (code, signal) => finish(new BrokerStartError(`${bin} exited (${code ?? signal}) before ready:\n${output}`)));
    const timer = setTimeout(() => finish(new BrokerStartError(`${bin} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
  });
}

/**
 * Sends SIGTERM and resolves on exit; SIGKILL after `graceMs`. For a child of spawnUntil, resolves
 * once its whole process group is gone (the SIGKILL after the grace goes to all of it).
 */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (!hasExited(child)) {
    const timer = setTimeout(() => kill(child), graceMs);
    child.kill('SIGTERM');
    await exited(child);
    clearTimeout(timer);
  }
  if (leaders.has(child) && child.pid !== undefined) await groupGone(child.pid);
}

/** Resolves once a TCP connection to host:port succeeds and the server sends its first bytes. */
export function waitForGreeting(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new BrokerStartError(`no greeting from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('data', (chunk) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(chunk.toString('utf8'));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new BrokerStartError(`cannot connect to ${host}:${port}: ${err.message}`));
    });
  });
}

/**
 * Resolves with the first bytes a server sends after we connect and write `hello` (a protocol
 * header, a PING): readiness means the broker answers its own protocol, not only that a port is open.
 */
export function probeProtocol(host: string, port: number, hello: Uint8Array, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new BrokerStartError(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => socket.write(hello));
    socket.once('data', (chunk) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(chunk);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new BrokerStartError(`cannot connect to ${host}:${port}: ${err.message}`));
    });
  });
}
