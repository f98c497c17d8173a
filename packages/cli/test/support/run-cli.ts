/** Runs `fsbus …` (bin/fsbus.js) as a child process and collects its output and exit code. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/fsbus.js', import.meta.url));

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Env for children: no colors, no inherited broker settings, an isolated demo state file. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of ['FSBUS_SERVERS', 'FSBUS_BROKER_URL', 'FSBUS_BROKER_URLS', 'MOD_EVENT_AGENT_URL', 'FSBUS_DRIVER', 'FSBUS_SUBJECT_PREFIX', 'FSBUS_TIMEOUT_MS', 'FORCE_COLOR', 'FSBUS_BROKER_USER', 'FSBUS_BROKER_PASSWORD', 'FSBUS_BROKER_TOKEN', 'FSBUS_BROKER_NKEY_SEED', 'MOD_EVENT_AGENT_PASSWORD', 'MOD_EVENT_AGENT_TOKEN', 'MOD_EVENT_AGENT_NKEY_SEED']) delete env[k];
  return { ...env, ...extra };
}

/** Runs to completion; the bound kills it and fails the test. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fsbus ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

export type CliChild = ChildProcessByStdio<null, Readable, Readable>;

/** Starts a long-running `fsbus …`; `waitFor` resolves when its stdout matches. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv, options: { groupLeader?: boolean } = {}): {
  child: CliChild;
  output(): string;
  stdout(): string;
  /** Resolves when stdout or stderr matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
} {
  // groupLeader: in a process group of its own, as a shell starts a foreground job (for Ctrl-C tests).
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: options.groupLeader === true });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...watchers]) w();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of [...watchers]) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => `${out}\n--- stderr ---\n${err}`,
    stdout: () => out,
    exited,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out) ?? re.exec(err);
          if (m === null) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no ${re} within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
  };
}

/**
 * Runs each `fsbus …` to completion, `limit` at a time (independent commands side by side: a child
 * spends most of its life loading, so two cores overlap them); the results in the order given.
 */
export async function runCliMany(runs: ReadonlyArray<readonly string[]>, env: NodeJS.ProcessEnv, limit = 4): Promise<CliResult[]> {
  const results: CliResult[] = new Array<CliResult>(runs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runs.length) {
      const i = next++;
      results[i] = await runCli(runs[i]!, env);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, runs.length) }, lane));
  return results;
}
