#!/usr/bin/env node
// Runs every test file of the repo with node's own test runner, TypeScript loaded by tsx,
// workspace packages resolved to their sources (the "source" export condition).
// Usage: node scripts/run-tests.mjs [path-filter...]
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

const files = [...collect(join(root, 'packages'), []), ...collect(join(root, 'test'), []), ...collect(join(root, 'bench'), []), ...collect(join(root, 'examples'), [])]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const timeoutMs = process.env.FSBUS_TEST_TIMEOUT_MS ?? '300000';
// A file ended for outliving its timeout leaves a note of what kept it alive here (test-hang-report.mjs).
const hangReports = mkdtempSync(join(tmpdir(), 'fsbus-hang-reports-'));
const args = [
  '--conditions=source',
  '--import', 'tsx',
  '--import', join(root, 'scripts/test-hang-report.mjs'),
  '--test',
  `--test-concurrency=${process.env.FSBUS_TEST_CONCURRENCY ?? '2'}`,
  // A test that hangs fails (with its name) instead of holding CI until its limit.
  `--test-timeout=${timeoutMs}`,
  '--test-reporter=spec',
  ...files,
];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, FSBUS_HANG_REPORT_DIR: hangReports, FSBUS_TEST_TIMEOUT_MS: timeoutMs } });
child.on('exit', (code, signal) => {
  for (const name of readdirSync(hangReports)) process.stdout.write(`\n# hang report\n${readFileSync(join(hangReports, name), 'utf8')}`);
  rmSync(hangReports, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
