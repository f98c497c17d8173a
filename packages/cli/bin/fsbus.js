#!/usr/bin/env node
// The fsbus CLI. Runs the built dist/main.js when present; from a clean clone (no build yet)
// it runs src/main.ts through tsx, with workspace packages resolved to their sources.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/main.js', import.meta.url);

if (existsSync(fileURLToPath(dist))) {
  const { main, finish } = await import(dist.href);
  await finish(await main(process.argv.slice(2)));
} else {
  const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    console.error('fsbus: no build found (dist/) and tsx is not installed; run `npm install` or `npm run build` first');
    process.exit(1);
  }
  // The IPC channel is how the child learns that this launcher is gone (even by SIGKILL, which
  // cannot be passed on): it closes, and the child stops as on SIGTERM instead of living on orphaned.
  // The child gets a process group of its own, so a terminal's Ctrl-C reaches this launcher alone
  // (in one group the child would get it twice, and a second SIGINT cuts a graceful stop short).
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, source, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  // Passed on as they would arrive without this launcher: SIGINT, a terminal's, to the child's whole
  // group (a suite `fsbus bench` runs gets it too), SIGTERM and SIGHUP to the child alone. Under
  // systemd (KillMode=control-group) the child gets SIGTERM from it as well: `fsbus agent` ignores
  // the repeat instead of ending its graceful stop.
  process.on('SIGINT', () => {
    try {
      process.kill(-child.pid, 'SIGINT');
    } catch {
      child.kill('SIGINT');
    }
  });
  for (const signal of ['SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  // A child killed by a signal (a second Ctrl-C during a graceful stop) did not finish its work:
  // 128 + the signal's number, as a shell reports it and as the built CLI would die.
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  });
}
