/** Shared by the suites' smoke tests: run a suite in --smoke mode, return its report and stdout. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths.js';

const run = promisify(execFile);

/** `node … bench/<suite>/run.ts <args>`, as `fsbus bench` runs it. */
const suiteArgv = (suite: string, args: readonly string[]): string[] => ['--conditions=source', '--import', 'tsx', `bench/${suite}/run.ts`, ...args];

export async function runSmoke<T>(suite: string, extra: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<{ report: T; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), `fsbus-bench-${suite}-`));
  try {
    const out = join(dir, 'report.json');
    const { stdout, stderr } = await run(process.execPath, suiteArgv(suite, ['--smoke', '--json', out, ...extra]), {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
      timeout: 240_000, // bounds a hung run; not a synchronisation
      maxBuffer: 16 * 1024 * 1024,
    });
    return { report: JSON.parse(readFileSync(out, 'utf8')) as T, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A suite run expected to fail: its exit code and stderr (no report). */
export async function runFailing(suite: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, suiteArgv(suite, args), { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 120_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: unknown; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: e.stderr ?? '' };
  }
}

/** Finite and > 0. */
export const positive = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;
