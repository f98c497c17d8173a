// Preloaded into every test file's process by run-tests.mjs. Node's test runner ends a file that
// outlives --test-timeout (SIGTERM) and no longer reads its output. So, shortly before that limit,
// the file's process notes what is keeping it alive (timers, sockets with their peers, child
// processes) in FSBUS_HANG_REPORT_DIR; the note is removed if the process ends by itself, and
// run-tests.mjs prints what is left, so a hang in CI names its cause. A timer, not a SIGTERM
// handler: tests send themselves signals, and a handler would change what they test.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const dir = process.env.FSBUS_HANG_REPORT_DIR;
const timeoutMs = Number(process.env.FSBUS_TEST_TIMEOUT_MS);
// Only the test file's own process (processes a test spawns with its execArgv load this too).
const testFile = /\.test\.(ts|mjs|js)$/.test(process.argv[1] ?? '') ? process.argv[1] : undefined;
delete process.env.FSBUS_HANG_REPORT_DIR;
/** Written this long before the runner's limit (its clock started a little before this one). */
const MARGIN_MS = 3000;
// The loop's own bookkeeping handles are always there: only what the tests left is listed.
const INTERNAL = new Set(['async', 'check', 'prepare', 'idle', 'loop', 'signal']);
/** Exit codes of a process ended by the runner's SIGTERM through a handler that exits (128 + 15). */
const ENDED_BY_SIGTERM = 143;

function describeHandle(h) {
  const local = h.localEndpoint ? ` ${JSON.stringify(h.localEndpoint)}` : '';
  const peer = h.remoteEndpoint ? ` -> ${JSON.stringify(h.remoteEndpoint)}` : '';
  const extra = h.type === 'timer' ? ` (next in ${String(h.firesInMsFromNow)} ms)` : h.type === 'process' ? ` pid ${String(h.pid)}` : '';
  const state = h.is_active === true ? '' : ' (inactive)';
  return `  ${String(h.type)}${local}${peer}${extra}${state}`;
}

function report() {
  const lines = [`${testFile} (pid ${process.pid}) still running ${timeoutMs - MARGIN_MS} ms after it started; active resources: ${process.getActiveResourcesInfo().join(', ') || 'none'}`];
  try {
    for (const h of process.report.getReport().libuv) if (!INTERNAL.has(String(h.type))) lines.push(describeHandle(h));
  } catch (err) {
    lines.push(`  (no libuv report: ${String(err)})`);
  }
  return `${lines.join('\n')}\n`;
}

if (dir !== undefined && dir !== '' && testFile !== undefined && timeoutMs > 2 * MARGIN_MS) {
  const file = join(dir, `${process.pid}.txt`);
  setTimeout(() => writeFileSync(file, report()), timeoutMs - MARGIN_MS).unref();
  process.on('exit', (code) => {
    if (code !== ENDED_BY_SIGTERM) rmSync(file, { force: true });
  });
}
