// scripts/test-hang-report.mjs, preloaded into every test file's process: a file that outlives its
// limit leaves a note naming what keeps it alive — a forgotten ref'd timer with where it was made.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('../scripts/test-hang-report.mjs', import.meta.url));

const LINGERING_FILE = `
function leaveTimerBehind() { setTimeout(() => {}, 600000); }
leaveTimerBehind();
setTimeout(() => {}, 500000).unref();
clearTimeout(setTimeout(() => {}, 400000));
setTimeout(() => {}, 1).ref();
`;

/** Resolves with the first report written in `dir`, once whole (it ends with a newline). */
function firstReport(dir: string): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const name = readdirSync(dir)[0];
      const text = name === undefined ? '' : readFileSync(join(dir, name), 'utf8');
      if (!text.endsWith('\n')) return;
      watcher.close();
      resolve(text);
    };
    const watcher = watch(dir, check);
    check();
  });
}

void test('hang report: a ref\'d timer left behind is named with where it was made; unref\'d, cleared and fired ones are not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-hang-report-test-'));
  const reports = join(dir, 'reports');
  const file = join(dir, 'lingering.test.mjs');
  writeFileSync(file, LINGERING_FILE);
  mkdirSync(reports);
  // The report is written MARGIN (3 s) before the limit; the limit must be over twice that.
  const child = spawn(process.execPath, ['--import', PRELOAD, file], {
    env: { ...process.env, FSBUS_HANG_REPORT_DIR: reports, FSBUS_TEST_TIMEOUT_MS: '6500' },
    stdio: 'ignore',
  });
  try {
    const report = await firstReport(reports);
    assert.match(report, /lingering\.test\.mjs \(pid \d+\) still running 3500 ms after it started/);
    const timers = report.split('\n').filter((l) => l.includes("ref'd"));
    assert.deepEqual(timers, ["  ref'd setTimeout(600000 ms), made at:"], report);
    assert.match(report, /at leaveTimerBehind \(file:\/\/.*lingering\.test\.mjs:2:/);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
