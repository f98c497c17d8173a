/**
 * Where the agent's pino lines go: stdout, batched. The audit line is written for every
 * command, so a write(2) per line would cost more than the command's own work at tens of
 * thousands of commands a second. Lines are collected here up to 12 KiB and handed to the
 * destination as one string: SonicBoom measures every string it is given (Buffer.byteLength,
 * which flattens pino's concatenated line first), so one hand-over per batch instead of per
 * line. A quiet agent's lines still appear within FLUSH_INTERVAL_MS, and what is buffered at
 * exit is written synchronously.
 */
import { pino } from 'pino';

// Below SonicBoom's 16 KiB maxWrite, so a batch is one write(2). Counted in UTF-16 units: a
// threshold, not a limit, so the exact byte count is not needed.
const BATCH_CHARS = 12 * 1024;
const FLUSH_INTERVAL_MS = 200;

export interface LogSink {
  /** The stream to hand to pino. */
  readonly stream: { write(line: string): void };
  /** Writes what is buffered now, synchronously, and stops the flush timer. */
  close(): void;
}

export function createStdoutSink(): LogSink {
  const destination = pino.destination({ dest: 1, sync: false });
  let lines: string[] = [];
  let chars = 0;
  const handOver = (): void => {
    if (lines.length === 0) return;
    const batch = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    chars = 0;
    destination.write(batch);
  };
  const writeAllNow = (): void => {
    handOver();
    try {
      destination.flushSync();
    } catch {
      // Not writable any more (EPIPE, closed stdout), or a write still in flight that the
      // destination's own exit hook completes: nothing more to do here.
    }
  };
  const timer = setInterval(handOver, FLUSH_INTERVAL_MS);
  timer.unref();
  process.once('exit', writeAllNow);
  return {
    stream: {
      write(line) {
        lines.push(line);
        chars += line.length;
        if (chars >= BATCH_CHARS) handOver();
      },
    },
    close() {
      clearInterval(timer);
      process.removeListener('exit', writeAllNow);
      writeAllNow();
    },
  };
}
