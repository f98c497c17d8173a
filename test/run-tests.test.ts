// scripts/run-tests.mjs on small fixture directories (FSBUS_RUN_TESTS_DIR): its last line is the
// plain `N passed, N failed, N skipped` CI reads, also when a test file hangs or the run is
// stopped by a signal; a signal reaches every test file and what it started.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../scripts/run-tests.mjs', import.meta.url));

const MIXED_FILE = `
import { test } from 'node:test';
test('passes', () => {});
test('fails', () => { throw new Error('expected failure'); });
test('skipped', { skip: true }, () => {});
test('todo', { todo: true }, () => {});
`;

// Outlives the runner's per-file limit: node reports the file as cancelled, and 'never starts' not at all.
const HANGING_FILE = `
import { test } from 'node:test';
test('passes before the hang', () => {});
test('hangs', () => new Promise(() => { setInterval(() => {}, 60_000); }));
test('never starts', () => {});
`;

// Hangs holding a child process (as a test holds a broker), after writing both pids to PIDS_FILE.
const HOLDING_FILE = `
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
test('holds a child process', () => new Promise(() => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
  writeFileSync(process.env.PIDS_FILE, process.pid + ' ' + child.pid + '\\n');
}));
`;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs the runner on `dir`; its output goes to a file, read once it exited: a pipe would stay open
 * (and the run unfinished) as long as any process it left behind holds it.
 */
function runner(dir: string, env: Record<string, string>, onStart?: (pid: number) => void): Promise<Run> {
  const outFile = join(dir, 'output.txt');
  const out = openSync(outFile, 'w');
  // Set in every test file's process: a `node --test` that inherits it runs no file.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const child = spawn(process.execPath, [RUNNER], {
    env: { ...inherited, FSBUS_RUN_TESTS_DIR: dir, FSBUS_TEST_CONCURRENCY: '2', ...env },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  onStart?.(child.pid!);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output: readFileSync(outFile, 'utf8') })));
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)!;
}

/** Node's own summary count (`ℹ pass 2`), which the runner's line must agree with. */
function nodeCount(text: string, name: string): number {
  return Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(text)?.[1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the file's text once it holds a whole line. */
function whenWritten(dir: string, name: string): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      let text = '';
      try {
        text = readFileSync(join(dir, name), 'utf8');
      } catch {
        return;
      }
      if (!text.endsWith('\n')) return;
      watcher.close();
      resolve(text);
    };
    const watcher = watch(dir, check);
    check();
  });
}

void test('run-tests: the last line counts passed, failed (a hanging file as one) and skipped (todo too), as node counts them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-run-tests-test-'));
  try {
    writeFileSync(join(dir, 'mixed.test.ts'), MIXED_FILE);
    writeFileSync(join(dir, 'hanging.test.ts'), HANGING_FILE);
    // Long enough for the mixed file to finish on a busy machine; only the hanging file reaches it.
    const run = await runner(dir, { FSBUS_TEST_TIMEOUT_MS: '8000' });
    assert.equal(lastLine(run.output), '2 passed, 2 failed, 2 skipped', run.output);
    assert.equal(run.code, 1);
    assert.equal(nodeCount(run.output, 'pass'), 2, run.output);
    assert.equal(nodeCount(run.output, 'fail') + nodeCount(run.output, 'cancelled'), 2, run.output);
    assert.equal(nodeCount(run.output, 'skipped') + nodeCount(run.output, 'todo'), 2, run.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Runs the runner on HOLDING_FILE and sends it `signal` once the file and its child run; `check`
 * gets the run and their pids. Whatever is left of them is killed afterwards.
 */
async function stopWhileHolding(signal: NodeJS.Signals, check: (run: Run, pids: readonly number[]) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-run-tests-test-'));
  const pidsDir = mkdtempSync(join(tmpdir(), 'fsbus-run-tests-pids-'));
  let pids: number[] = [];
  try {
    writeFileSync(join(dir, 'holding.test.ts'), HOLDING_FILE);
    const run = await runner(dir, { PIDS_FILE: join(pidsDir, 'pids') }, (runnerPid) => {
      void whenWritten(pidsDir, 'pids').then((text) => {
        pids = text.trim().split(' ').map(Number);
        process.kill(runnerPid, signal);
      });
    });
    assert.equal(pids.length, 2);
    await check(run, pids);
  } finally {
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    rmSync(pidsDir, { recursive: true, force: true });
  }
}

/** Resolves once none of `pids` runs, checking every 50 ms; rejects after `withinMs`. */
function allGone(pids: readonly number[], withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      const left = pids.filter(alive);
      if (left.length === 0) resolve();
      else if (Date.now() > deadline) reject(new Error(`still running after ${withinMs} ms: ${left.join(', ')}`));
      else setTimeout(check, 50);
    };
    check();
  });
}

void test('run-tests: SIGTERM reaches the test files and what they started, and the run still ends with its count', async () => {
  await stopWhileHolding('SIGTERM', async (run, pids) => {
    assert.deepEqual({ code: run.code, signal: run.signal }, { code: 143, signal: null }, run.output);
    assert.equal(lastLine(run.output), '0 passed, 1 failed, 0 skipped', run.output);
    assert.deepEqual(pids.filter(alive), [], 'the test file or its child outlived the run');
  });
});

void test('run-tests: SIGKILL of the runner (a CI hard kill) still ends its test files and what they started', async () => {
  await stopWhileHolding('SIGKILL', async (run, pids) => {
    assert.equal(run.signal, 'SIGKILL');
    // Ended by the runner's watchdog, not by the runner: they go a moment after it.
    await allGone(pids, 30_000);
  });
});
