/**
 * Spawning a broker binary for tests: wait for a line of its log (never a sleep), stop it with
 * SIGTERM and wait for the exit. Reused by every broker of the test kit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { constants } from 'node:os';

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

const TERMINATING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `hook` when this process exits — also when a SIGINT, SIGTERM or SIGHUP would have killed it
 * outright: such a signal becomes an exit (128 + its number), unless something else in the
 * process listens for it and so owns the shutdown (a dashboard, a demo).
 */
export function onTermination(hook: () => void): void {
  process.once('exit', hook);
  for (const signal of TERMINATING_SIGNALS) {
    process.once(signal, () => {
      if (process.listenerCount(signal) === 0) process.exit(128 + constants.signals[signal]);
    });
  }
}

/** Every child process still running that must not outlive this one (brokers, a bench's simulator and agent). */
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

/** Spawns `bin args` and resolves once its combined output matches `ready` (or fails on exit/timeout). */
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
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
    stopOnTermination(child);
    const finish = (err: Error | undefined, match?: RegExpMatchArray) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== undefined) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve({ child, match: match!, log: () => output });
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

/** Sends SIGTERM and resolves on exit; SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
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
