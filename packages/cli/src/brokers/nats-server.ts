/**
 * Runs a real `nats-server` for `fsbus demo` on a loopback port it picks itself (`-p -1`, read
 * back from its log), with JetStream in its own temp dir. The runtime twin of @fsbus/testkit's
 * test launcher (a private test package the CLI does not ship with).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class BrokerLaunchError extends Error {
  override name = 'BrokerLaunchError';
}

export interface RunningNats {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM, wait for the exit (SIGKILL after 10 s), remove the store. Idempotent. */
  stop(): Promise<void>;
}

const LISTEN = /Listening for client connections on [^\s]*:(\d+)/;
const READY = /Server is ready/;

/** `$FSBUS_NATS_SERVER`, else `nats-server` on PATH, else Debian's /usr/sbin/nats-server. */
export function natsServerBinary(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['FSBUS_NATS_SERVER'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const onPath = (env['PATH'] ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'nats-server')));
  return onPath || !existsSync('/usr/sbin/nats-server') ? 'nats-server' : '/usr/sbin/nats-server';
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function launchNatsServer(options: { jetstream?: boolean; startTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunningNats> {
  const bin = natsServerBinary(options.env);
  const dir = await mkdtemp(join(tmpdir(), 'fsbus-demo-nats-'));
  const args = ['-a', '127.0.0.1', '-p', '-1', '-n', `fsbus-demo-${process.pid}`];
  if (options.jetstream !== false) args.push('-js', '-sd', join(dir, 'js'));
  // A process group of its own: a terminal's Ctrl-C (which the launcher passes to the demo's whole
  // group) must not stop the broker under the agent's graceful stop — the demo stops it last.
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BrokerLaunchError(`${bin} not ready after ${options.startTimeoutMs ?? 20_000} ms:\n${log}`)), options.startTimeoutMs ?? 20_000);
      const onData = (chunk: Buffer): void => {
        log = (log + chunk.toString('utf8')).slice(-16384);
        const m = LISTEN.exec(log);
        if (m !== null && READY.test(log)) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (err) => {
        clearTimeout(timer);
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new BrokerLaunchError(missing ? `${bin} not found: run ./scripts/setup (installs the Debian package nats-server)` : `${bin}: ${err.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new BrokerLaunchError(`${bin} exited (${code ?? signal}) before it was ready:\n${log}`));
      });
    });
    // Keep the pipes flowing so a chatty server never blocks.
    child.stdout.resume();
    child.stderr.resume();
    // If this process dies without stopping the server (a crash), the server goes with it.
    const orphanGuard = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    process.once('exit', orphanGuard);
    let stopping: Promise<void> | undefined;
    return {
      url: `nats://127.0.0.1:${port}`,
      port,
      pid: child.pid ?? -1,
      stop: () => {
        stopping ??= stopChild(child).then(async () => {
          process.off('exit', orphanGuard);
          await rm(dir, { recursive: true, force: true });
        });
        return stopping;
      },
    };
  } catch (err) {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
