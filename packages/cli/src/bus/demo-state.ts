/**
 * Each running demo's connection details in a small file of its own, so `fsbus api status` run in
 * another terminal finds a demo's broker without flags, and two demos on one machine neither
 * overwrite nor remove each other's. Base path: $FSBUS_DEMO_STATE, else
 * $XDG_RUNTIME_DIR/fsbus-demo.json, else <tmpdir>/fsbus-demo-<uid>.json; a demo writes
 * `<base without .json>-<pid>.json` beside it.
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

export interface DemoState {
  driver: string;
  servers: string[];
  prefix: string;
  /** The demo process; a state file whose process is gone is ignored (and removed). */
  pid: number;
  started: string;
  esl?: string;
  metrics?: string;
  /** The simulator's control API (docs/sim.md). */
  control?: string;
}

export interface RunningDemo {
  state: DemoState;
  path: string;
}

export function demoStatePath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['FSBUS_DEMO_STATE'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime !== undefined && runtime !== '') return join(runtime, 'fsbus-demo.json');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `fsbus-demo-${uid}.json`);
}

function stemOf(base: string): string {
  return basename(base).replace(/\.json$/, '');
}

/** The state file of the demo with this pid. */
export function demoStateFile(pid: number, env: NodeJS.ProcessEnv = process.env): string {
  const base = demoStatePath(env);
  return join(dirname(base), `${stemOf(base)}-${pid}.json`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parse(path: string): DemoState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Partial<DemoState>;
  if (typeof s.driver !== 'string' || !Array.isArray(s.servers) || typeof s.prefix !== 'string' || typeof s.pid !== 'number') return undefined;
  return s as DemoState;
}

function forget(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Not ours to remove (another user's, in a shared tmpdir): skipped all the same.
  }
}

const startedAt = (s: DemoState): number => {
  const t = Date.parse(s.started);
  return Number.isNaN(t) ? 0 : t;
};

/**
 * The running demos, newest first. A file whose process is gone (a demo killed before it could
 * clean up) is removed on the way.
 */
export function runningDemos(env: NodeJS.ProcessEnv = process.env): RunningDemo[] {
  const base = demoStatePath(env);
  const dir = dirname(base);
  const stem = stemOf(base);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: RunningDemo[] = [];
  for (const name of names) {
    if (!name.startsWith(`${stem}-`)) continue;
    const pid = /^(\d+)\.json$/.exec(name.slice(stem.length + 1))?.[1];
    if (pid === undefined) continue;
    const path = join(dir, name);
    const state = parse(path);
    if (state === undefined || state.pid !== Number(pid)) continue;
    if (alive(state.pid)) found.push({ state, path });
    else forget(path);
  }
  return found.sort((a, b) => startedAt(b.state) - startedAt(a.state));
}

/** The newest running demo's state, or undefined. */
export function readDemoState(env: NodeJS.ProcessEnv = process.env): DemoState | undefined {
  return runningDemos(env)[0]?.state;
}

/** Writes this demo's own file (whole, through a rename: a reader never sees half of it). */
export function writeDemoState(state: DemoState, env: NodeJS.ProcessEnv = process.env): string {
  const path = demoStateFile(state.pid, env);
  const partial = join(dirname(path), `.${basename(path)}.tmp`);
  // A shared tmpdir: whatever sits at that name (a link another user planted) is removed, and the
  // file made new ('wx' fails rather than follow a link raced in meanwhile).
  rmSync(partial, { force: true });
  writeFileSync(partial, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(partial, path);
  return path;
}

export function removeDemoState(pid: number, env: NodeJS.ProcessEnv = process.env): void {
  rmSync(demoStateFile(pid, env), { force: true });
}
