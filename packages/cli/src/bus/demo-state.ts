/**
 * The demo's connection details in a small file, so `fsbus api status` run in another terminal
 * finds the demo's broker without flags. Path: $FSBUS_DEMO_STATE, else
 * $XDG_RUNTIME_DIR/fsbus-demo.json, else <tmpdir>/fsbus-demo-<uid>.json.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DemoState {
  driver: string;
  servers: string[];
  prefix: string;
  /** The demo process; a state file whose process is gone is ignored. */
  pid: number;
  started: string;
  esl?: string;
  metrics?: string;
}

export function demoStatePath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['FSBUS_DEMO_STATE'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime !== undefined && runtime !== '') return join(runtime, 'fsbus-demo.json');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `fsbus-demo-${uid}.json`);
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

/** The running demo's state, or undefined (no file, unreadable, or its process is gone). */
export function readDemoState(env: NodeJS.ProcessEnv = process.env): DemoState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(demoStatePath(env), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Partial<DemoState>;
  if (typeof s.driver !== 'string' || !Array.isArray(s.servers) || typeof s.prefix !== 'string' || typeof s.pid !== 'number') return undefined;
  if (!alive(s.pid)) return undefined;
  return s as DemoState;
}

export function writeDemoState(state: DemoState, env: NodeJS.ProcessEnv = process.env): string {
  const path = demoStatePath(env);
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** Removes the file if it is still ours (another demo may have started since). */
export function removeDemoState(pid: number, env: NodeJS.ProcessEnv = process.env): void {
  const path = demoStatePath(env);
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as Partial<DemoState>;
    if (s.pid === pid) rmSync(path, { force: true });
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}
