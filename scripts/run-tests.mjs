#!/usr/bin/env node
// Runs every test file of the repo with node's own test runner, TypeScript loaded by tsx,
// workspace packages resolved to their sources (the "source" export condition), and ends with a
// plain `N passed, N failed, N skipped` line for CI (counted by test-counter.mjs; see there what counts).
// Usage: node scripts/run-tests.mjs [path-filter...]
// FSBUS_RUN_TESTS_DIR=<dir> takes the test files from <dir> instead of the repo (for test/run-tests.test.ts).
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = join(dir, name);
    const info = lstatSync(full); // symlinks are not followed: no cycles, no dangling links
    if (info.isDirectory()) collect(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const dirs = process.env.FSBUS_RUN_TESTS_DIR ? [process.env.FSBUS_RUN_TESTS_DIR] : ['packages', 'test', 'bench', 'examples'].map((d) => join(root, d));
const files = dirs.flatMap((d) => collect(d, []))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const timeoutMs = process.env.FSBUS_TEST_TIMEOUT_MS ?? '300000';
const work = mkdtempSync(join(tmpdir(), 'fsbus-run-tests-'));
// A file ended for outliving its timeout leaves a note of what kept it alive here (test-hang-report.mjs).
const hangReports = join(work, 'hang-reports');
mkdirSync(hangReports);
const results = join(work, 'results');
const args = [
  '--conditions=source',
  '--import', 'tsx',
  '--import', join(root, 'scripts/test-hang-report.mjs'),
  '--test',
  `--test-concurrency=${process.env.FSBUS_TEST_CONCURRENCY ?? '2'}`,
  // A test that hangs fails (with its name) instead of holding CI until its limit.
  `--test-timeout=${timeoutMs}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter', join(root, 'scripts/test-counter.mjs'), '--test-reporter-destination', results,
  ...files,
];
// Its own process group (detached), so a signal can be passed on to every test file and what
// they started: node's runner dies of SIGTERM without ending its file processes. No stdin: a
// process outside the terminal's foreground group must not read it.
const child = spawn(process.execPath, args, {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: true,
  env: { ...process.env, FSBUS_HANG_REPORT_DIR: hangReports, FSBUS_TEST_TIMEOUT_MS: timeoutMs },
});

// Being a group of its own, the tests would outlive a SIGKILL of this runner (a CI hard kill of
// its process group): a watchdog holding a pipe from this runner sends them SIGTERM when it
// closes (they stop their brokers on it), and removes the runner's work dir.
const onRunnerGone = `try { process.kill(-${String(child.pid)}, 'SIGTERM'); } catch {} require('node:fs').rmSync(${JSON.stringify(work)}, { recursive: true, force: true });`;
const watchdog = spawn(process.execPath, ['-e', `process.stdin.resume().on('end', () => { ${onRunnerGone} })`], {
  stdio: ['pipe', 'ignore', 'ignore'],
  detached: true,
});
watchdog.unref();
watchdog.stdin.on('error', () => undefined);
watchdog.stdin.unref?.();

/** The signal this runner was asked to stop with, passed on to the whole group. */
let stoppedBy;
function signalGroup(signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    // A second signal does not wait for the tests to stop their brokers.
    signalGroup(stoppedBy === undefined ? signal : 'SIGKILL');
    stoppedBy ??= signal;
  });
}

/**
 * Resolves once no process of the group is left (the test files stopped their brokers),
 * SIGKILLing what is left after `graceMs`; gives up 5 s later (a zombie no one reaps).
 */
function groupGone(graceMs = 15_000) {
  const killAt = Date.now() + graceMs;
  return new Promise((resolve) => {
    const check = () => {
      try {
        process.kill(-child.pid, 0);
      } catch {
        resolve();
        return;
      }
      if (Date.now() > killAt + 5000) resolve();
      else {
        if (Date.now() > killAt) signalGroup('SIGKILL');
        setTimeout(check, 100);
      }
    };
    check();
  });
}

function tally() {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const text = existsSync(results) ? readFileSync(results, 'utf8') : '';
  // A line cut short by a killed runner has no newline yet: left out.
  for (const line of text.split('\n').slice(0, -1)) {
    const kind = line.split('\t')[0];
    if (kind in counts) counts[kind] += 1;
  }
  return counts;
}

child.on('exit', async (code, signal) => {
  // Killed by a signal not ours (the OOM killer…): its test files would run on without it.
  if (signal !== null && stoppedBy === undefined) signalGroup('SIGTERM');
  if (signal !== null || stoppedBy !== undefined) await groupGone();
  for (const name of readdirSync(hangReports)) process.stdout.write(`\n# hang report\n${readFileSync(join(hangReports, name), 'utf8')}`);
  const counts = tally();
  rmSync(work, { recursive: true, force: true });
  const ending = stoppedBy ?? signal;
  if (ending !== null) {
    // Results of files still running (or not yet reported) are lost: the run itself fails.
    counts.failed += 1;
    process.stdout.write(`\n# run ended by ${ending} before all test files reported: counted as 1 failure\n`);
  } else if (code !== 0 && counts.failed === 0) {
    counts.failed += 1;
    process.stdout.write(`\n# node --test exited with code ${String(code)} with no failed test counted: counted as 1 failure\n`);
  }
  process.stdout.write(`${String(counts.passed)} passed, ${String(counts.failed)} failed, ${String(counts.skipped)} skipped\n`);
  process.exitCode = ending !== null ? 128 + constants.signals[ending] : code;
  watchdog.kill(); // the group is gone: nothing for it to do
});
