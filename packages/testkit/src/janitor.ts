/**
 * What a test process owns outside itself — broker process groups, temp dirs — goes with it
 * however it ends. On exit, and on a SIGINT/SIGTERM/SIGHUP turned into one, a hook kills the
 * groups, then removes the dirs. SIGKILL (the OOM killer, a CI hard kill) runs no hook: a janitor
 * process, told over a pipe what is owned, does the same when that pipe reaches EOF. It runs only
 * while something is owned, so a test that stopped its brokers leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { onTermination } from './termination.js';

const groups = new Set<number>();
const dirs = new Set<string>();
let janitor: ChildProcess | undefined;
let hooked = false;

/** Sends `signal` to process group `pgid`; false when no process of it is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * A process of group `pgid` still runs. A killed one stays in its group as a zombie until init
 * reaps it, which some inits do only now and then: /proc tells zombies apart (without /proc, the
 * group's existence is all there is to go by).
 */
export function groupRuns(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return pids.some((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z' && state !== 'X';
    } catch {
      return false; // gone meanwhile
    }
  });
}

/**
 * Lines `["+"|"-", "g"|"d", value]` on stdin. At EOF it kills the groups it holds, waits (up to 5 s)
 * until none runs, so nothing writes into a dir being removed, then removes the dirs. Own session:
 * the signals of a terminal or of the runner's process group do not reach it. Plain JavaScript,
 * run by `node -e`: signalGroup and groupRuns are written out again for it.
 */
const JANITOR = `
const { readdirSync, readFileSync, rmSync } = require('node:fs');
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => undefined);
const signalGroup = (g, s) => { try { process.kill(-g, s); return true; } catch { return false; } };
const groupRuns = (g) => {
  if (!signalGroup(g, 0)) return false;
  let pids;
  try { pids = readdirSync('/proc').filter((n) => /^\\d+$/.test(n)); } catch { return true; }
  return pids.some((pid) => {
    try {
      const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === g && state !== 'Z' && state !== 'X';
    } catch { return false; }
  });
};
const owned = { g: new Set(), d: new Set() };
let rest = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  const lines = (rest + chunk).split('\\n');
  rest = lines.pop();
  for (const line of lines) {
    const [op, kind, value] = JSON.parse(line);
    if (op === '+') owned[kind].add(value); else owned[kind].delete(value);
  }
});
process.stdin.on('end', () => {
  for (const g of owned.g) signalGroup(g, 'SIGKILL');
  const deadline = Date.now() + 5000;
  const sweep = () => {
    if ([...owned.g].some(groupRuns) && Date.now() < deadline) return void setTimeout(sweep, 20);
    for (const d of owned.d) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
  };
  sweep();
});
`;

function startJanitor(): ChildProcess {
  const { NODE_OPTIONS: _options, NODE_TEST_CONTEXT: _test, ...env } = process.env;
  const child = spawn(process.execPath, ['-e', JANITOR], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env });
  child.once('error', () => undefined); // no janitor: the exit hook still covers all but SIGKILL
  child.stdin.on('error', () => undefined);
  // It must not keep this process alive: it is there for when this process is gone.
  child.unref();
  (child.stdin as unknown as { unref?(): void }).unref?.();
  return child;
}

function tell(op: '+' | '-', kind: 'g' | 'd', value: number | string): void {
  if (op === '+') janitor ??= startJanitor();
  janitor?.stdin!.write(`${JSON.stringify([op, kind, value])}\n`);
  if (groups.size === 0 && dirs.size === 0) {
    janitor?.stdin!.end();
    janitor = undefined;
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  onTermination(() => {
    // Groups first: a broker still running could write into its dir while it is being removed.
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
}

/** The process group `pgid` is killed when this process ends, until released. */
export function ownGroup(pgid: number): void {
  hook();
  groups.add(pgid);
  tell('+', 'g', pgid);
}

export function releaseGroup(pgid: number): void {
  if (groups.delete(pgid)) tell('-', 'g', pgid);
}

/** `dir` is removed when this process ends, until released. */
export function ownDir(dir: string): void {
  hook();
  dirs.add(dir);
  tell('+', 'd', dir);
}

export function releaseDir(dir: string): void {
  if (dirs.delete(dir)) tell('-', 'd', dir);
}
