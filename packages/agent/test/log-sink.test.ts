/**
 * The agent's batched stdout: a quiet agent's lines still show up while it runs (the periodic
 * flush), and lines still buffered when the process exits are written, not lost. A stdout that
 * fails (full disk, closed pipe) costs lines, counted and announced, never the process or its exit.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
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

/** A child that logs `lines` lines, closes the sink, reports `dropped=<n>` on stderr and exits 0. */
function failingChild(lines: number, stdout: number | 'pipe') {
  const script = `
    import { pino } from 'pino';
    import { createStdoutSink } from ${JSON.stringify(sink)};
    const sink = createStdoutSink();
    const log = pino({ base: null }, sink.stream);
    for (let i = 0; i < ${lines}; i++) log.info({ i }, 'line');
    // Past the batch size: the next lines go while the first write has failed.
    for (let i = 0; i < 400; i++) log.info({ i, pad: 'x'.repeat(40) }, 'line');
    sink.close();
    log.info('after close');
    process.stderr.write('dropped=' + sink.dropped + '\\n');
    process.exit(0);
  `;
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', stdout, 'pipe'] });
}

async function outcome(proc: ReturnType<typeof failingChild>) {
  let err = '';
  proc.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));
  return { code, err };
}

void test('log sink: a stdout that fails (ENOSPC) costs lines, counted and announced once; the process runs on and exits', async () => {
  const full = openSync('/dev/full', 'w');
  try {
    const { code, err } = await outcome(failingChild(10, full));
    assert.equal(code, 0, err);
    assert.equal(err.match(/writing the log to stdout failed \(ENOSPC\)/g)?.length, 1, err);
    // Every line: 10 + 400 before close(), and the one after it.
    assert.match(err, /dropped=411\n/);
  } finally {
    closeSync(full);
  }
});

void test('log sink: a stdout pipe nobody reads any more (EPIPE) does not stop the process from exiting', async () => {
  const proc = failingChild(10, 'pipe');
  proc.stdout!.destroy();
  const { code, err } = await outcome(proc);
  assert.equal(code, 0, err);
  assert.match(err, /writing the log to stdout failed \(EPIPE\)/);
  assert.match(err, /dropped=\d+\n/);
});
