// Preloaded into every test file's process by run-tests.mjs. Node's test runner ends a file that
// outlives --test-timeout with SIGTERM and no longer reads its output; before this process goes,
// it writes what was keeping it alive (timers, sockets with their peers, child processes) to
// FSBUS_HANG_REPORT_DIR, which run-tests.mjs prints at the end, so a hang in CI names its cause.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const dir = process.env.FSBUS_HANG_REPORT_DIR;
// The loop's own bookkeeping handles are always there: only what the tests left is listed.
const INTERNAL = new Set(['async', 'check', 'prepare', 'idle', 'loop', 'signal']);

function describeHandle(h) {
  const local = h.localEndpoint ? ` ${JSON.stringify(h.localEndpoint)}` : '';
  const peer = h.remoteEndpoint ? ` -> ${JSON.stringify(h.remoteEndpoint)}` : '';
  const extra = h.type === 'timer' ? ` (next in ${String(h.firesInMsFromNow)} ms)` : h.type === 'process' ? ` pid ${String(h.pid)}` : '';
  const state = h.is_active === true ? '' : ' (inactive)';
  return `  ${String(h.type)}${local}${peer}${extra}${state}`;
}

if (dir !== undefined && dir !== '') {
  process.once('SIGTERM', () => {
    const file = process.argv.find((a) => a.endsWith('.test.ts') || a.endsWith('.test.mjs')) ?? process.argv[1] ?? '?';
    const lines = [`${file} (pid ${process.pid}) was ended by SIGTERM; active resources: ${process.getActiveResourcesInfo().join(', ') || 'none'}`];
    try {
      for (const h of process.report.getReport().libuv) if (!INTERNAL.has(String(h.type))) lines.push(describeHandle(h));
    } catch (err) {
      lines.push(`  (no libuv report: ${String(err)})`);
    }
    try {
      writeFileSync(join(dir, `${process.pid}.txt`), `${lines.join('\n')}\n`);
    } finally {
      process.exit(143);
    }
  });
}
