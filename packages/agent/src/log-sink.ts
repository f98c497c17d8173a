/**
 * Where the agent's pino lines go: stdout, batched. The audit line is written for every
 * command, so a write(2) per line would cost more than the command's own work at tens of
 * thousands of commands a second. Lines are collected here up to 12 KiB and handed to the
 * destination as one string: SonicBoom measures every string it is given (Buffer.byteLength,
 * which flattens pino's concatenated line first), so one write(2) per batch instead of per
 * line. A quiet agent's lines still appear within FLUSH_INTERVAL_MS, and what is buffered at
 * exit is written then.
 *
 * The destination writes synchronously (pino's own default for stdout): a reader that stalls
 * slows the agent down instead of growing a buffer without bound, and nothing is left to flush
 * at exit. (SonicBoom's asynchronous mode flushes at exit with flushSync(), which retries a write
 * that failed with ENOSPC, EIO or EPIPE for ever: an agent whose log reader had gone never exited.)
 * When stdout fails, the agent goes on: one notice on stderr, and every line from then on is
 * dropped and counted (`log_lines_dropped`).
 */
import { writeSync } from 'node:fs';
import { pino } from 'pino';

// Below SonicBoom's 16 KiB maxWrite, so a batch is one write(2). Counted in UTF-16 units: a
// threshold, not a limit, so the exact byte count is not needed.
const BATCH_CHARS = 12 * 1024;
const FLUSH_INTERVAL_MS = 200;

export interface LogSink {
  /** The stream to hand to pino. */
  readonly stream: { write(line: string): void };
  /** Lines not written because stdout failed (the batch that failed, and every line after it). */
  readonly dropped: number;
  /** Writes what is buffered now and stops the flush timer; later lines are written one by one. */
  close(): void;
}

export function createStdoutSink(fd = 1): LogSink {
  const destination = pino.destination({ dest: fd, sync: true });
  let lines: string[] = [];
  let chars = 0;
  let dropped = 0;
  let failed = false;
  /** After close() every line is written at once: nothing is left for a timer that no longer runs. */
  let closed = false;
  /** Lines of the batch being written: what a write error loses. */
  let inWrite = 0;
  // Heard from birth: an unheard 'error' would throw out of the process.
  destination.on('error', (err: NodeJS.ErrnoException) => {
    dropped += inWrite;
    inWrite = 0;
    if (failed) return;
    failed = true;
    try {
      writeSync(2, `fsbus agent: writing the log to stdout failed (${err.code ?? err.message}); log lines are dropped from now on and counted (log_lines_dropped)\n`);
    } catch {
      // stderr is gone too: the counter is all that is left.
    }
  });
  const handOver = (): void => {
    if (lines.length === 0) return;
    const batch = lines.length === 1 ? lines[0]! : lines.join('');
    const count = lines.length;
    lines = [];
    chars = 0;
    if (failed) {
      dropped += count;
      return;
    }
    inWrite = count;
    destination.write(batch);
    inWrite = 0;
  };
  const timer = setInterval(handOver, FLUSH_INTERVAL_MS);
  timer.unref();
  process.once('exit', handOver);
  return {
    stream: {
      write(line) {
        lines.push(line);
        chars += line.length;
        if (closed || chars >= BATCH_CHARS) handOver();
      },
    },
    get dropped() {
      return dropped;
    },
    close() {
      closed = true;
      clearInterval(timer);
      process.removeListener('exit', handOver);
      handOver();
    },
  };
}
