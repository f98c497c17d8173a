// Preloaded into every test file's process by run-tests.mjs. Node's test runner ends a file that
// outlives --test-timeout (SIGTERM) and no longer reads its output. So, shortly before that limit,
// the file's process notes what is keeping it alive (timers, sockets with their peers, child
// processes) in FSBUS_HANG_REPORT_DIR; the note is removed if the process ends by itself, and
// run-tests.mjs prints what is left, so a hang in CI names its cause. A timer, not a SIGTERM
// handler: tests send themselves signals, and a handler would change what they test.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import timers from 'node:timers';
import { syncBuiltinESMExports } from 'node:module';

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
  // The one libuv timer behind all JS timers: the report's own, firing now, unless others are pending (listed below).
  const extra = h.type === 'timer' ? ` (next in ${String(h.firesInMsFromNow)} ms)` : h.type === 'process' ? ` pid ${String(h.pid)}` : '';
  // A pipe that is not our own stdio (fd/stdio named) is a child's, kept open by whoever still holds its other end.
  const fd = h.fd === undefined ? '' : ` fd ${String(h.fd)}${h.stdio === undefined ? '' : ` (${String(h.stdio)})`}`;
  const state = `${h.is_active === true ? '' : ' (inactive)'}${h.is_referenced === false ? ' (unref)' : ''}`;
  return `  ${String(h.type)}${fd}${local}${peer}${extra}${state}`;
}

/**
 * Every timer made through setTimeout/setInterval, with where it was made: libuv shows all of a
 * process's JS timers as one handle, so a forgotten ref'd timer would otherwise keep a file alive
 * without naming its owner. Held weakly: a pending timer is held by Node's own timer lists, and
 * one that fired or was cleared must not be kept alive by this report (with its callback and
 * whatever that closes over — a test that checks what a library lets go of would see it held).
 * Dead references are pruned as the set grows.
 */
const timerOrigins = new WeakMap();
const timerRefs = new Set();
let pruneAt = 1024;

function remember(timer, kind, ms) {
  const trace = {};
  Error.captureStackTrace(trace, remember);
  // Formatted at once: until its stack is read, V8 keeps each frame's function and receiver — the
  // callback of the timer that made this one, with all it closes over — so a chain of timers
  // (a client's reconnects) would keep every earlier connection reachable.
  timerOrigins.set(timer, { kind, ms, stack: String(trace.stack) });
  timerRefs.add(new WeakRef(timer));
  if (timerRefs.size >= pruneAt) {
    for (const ref of timerRefs) {
      const t = ref.deref();
      if (t === undefined || t._destroyed === true) timerRefs.delete(ref);
    }
    pruneAt = Math.max(1024, 2 * timerRefs.size);
  }
  return timer;
}

function trackTimers() {
  const { setTimeout: originalTimeout, setInterval: originalInterval } = timers;
  const trackedTimeout = Object.assign((cb, ms, ...args) => remember(originalTimeout(cb, ms, ...args), 'setTimeout', ms), originalTimeout);
  const trackedInterval = Object.assign((cb, ms, ...args) => remember(originalInterval(cb, ms, ...args), 'setInterval', ms), originalInterval);
  globalThis.setTimeout = timers.setTimeout = trackedTimeout;
  globalThis.setInterval = timers.setInterval = trackedInterval;
  syncBuiltinESMExports();
}

/** The timers still pending that keep the process alive, each with the first frames of where it was made. */
function refTimers() {
  const lines = [];
  for (const ref of timerRefs) {
    const t = ref.deref();
    if (t === undefined || t._destroyed === true || !t.hasRef()) continue;
    const origin = timerOrigins.get(t);
    const frames = String(origin.stack).split('\n').slice(1).filter((l) => !l.includes('node:internal')).slice(0, 6);
    lines.push(`  ref'd ${origin.kind}(${String(origin.ms)} ms), made at:`, ...frames.map((f) => `    ${f.trim()}`));
    if (lines.length > 80) break;
  }
  return lines;
}

function report() {
  const lines = [`${testFile} (pid ${process.pid}) still running ${timeoutMs - MARGIN_MS} ms after it started; active resources: ${process.getActiveResourcesInfo().join(', ') || 'none'}`];
  try {
    for (const h of process.report.getReport().libuv) if (!INTERNAL.has(String(h.type))) lines.push(describeHandle(h));
  } catch (err) {
    lines.push(`  (no libuv report: ${String(err)})`);
  }
  lines.push(...refTimers());
  return `${lines.join('\n')}\n`;
}

if (dir !== undefined && dir !== '' && testFile !== undefined && timeoutMs > 2 * MARGIN_MS) {
  const file = join(dir, `${process.pid}.txt`);
  trackTimers();
  setTimeout(() => writeFileSync(file, report()), timeoutMs - MARGIN_MS).unref();
  process.on('exit', (code) => {
    if (code !== ENDED_BY_SIGTERM) rmSync(file, { force: true });
  });
}
