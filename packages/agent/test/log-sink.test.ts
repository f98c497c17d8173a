/**
 * The agent's batched stdout: a quiet agent's lines still show up while it runs (the periodic
 * flush), and lines still buffered when the process exits are written, not lost.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const sink = fileURLToPath(new URL('../src/log-sink.ts', import.meta.url));

/** Runs a child that logs `lines` through the sink, then `then` ('stay' until killed, or 'exit'). */
function child(lines: number, then: 'stay' | 'exit') {
  const script = `
    import { pino } from 'pino';
    import { createStdoutSink } from ${JSON.stringify(sink)};
    const log = pino({ base: null }, createStdoutSink().stream);
    for (let i = 0; i < ${lines}; i++) log.info({ i }, 'line');
    ${then === 'exit' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}
  `;
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function countLines(text: string): number {
  return text.split('\n').filter((l) => l.includes('"msg":"line"')).length;
}

/** The `i` of every line, in the order written. */
function indexes(text: string): number[] {
  return text.split('\n').filter((l) => l.includes('"msg":"line"')).map((l) => (JSON.parse(l) as { i: number }).i);
}

void test('log sink: a few lines of a running process appear without waiting for more', async () => {
  const proc = child(3, 'stay');
  let out = '';
  await new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (countLines(out) === 3) resolve();
    });
  });
  proc.removeAllListeners('exit');
  proc.kill();
  assert.equal(countLines(out), 3);
});

void test('log sink: lines buffered at process.exit are written', async () => {
  const proc = child(50, 'exit');
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));
  assert.equal(code, 0);
  assert.equal(countLines(out), 50);
});

void test('log sink: many batches arrive whole and in order, the partial last one by the periodic flush', async () => {
  // ~55 bytes a line: 5,000 lines are a couple of dozen 12 KiB batches plus a remainder.
  const proc = child(5000, 'stay');
  let out = '';
  await new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (countLines(out) >= 5000) resolve();
    });
  });
  proc.removeAllListeners('exit');
  proc.kill();
  assert.deepEqual(indexes(out), Array.from({ length: 5000 }, (_, i) => i));
});
