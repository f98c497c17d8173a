/**
 * Where the agent's pino lines go: stdout, batched. The audit line is written for every
 * command, so a write(2) per line would cost more than the command's own work at tens of
 * thousands of commands a second. Lines are buffered up to 12 KiB and written together; a
 * quiet agent's lines still appear within FLUSH_INTERVAL_MS, and what is buffered at exit
 * is written synchronously (pino registers that for its asynchronous destinations).
 */
import { pino } from 'pino';

// Below SonicBoom's 16 KiB maxWrite, so a batch is one write(2).
const BATCH_BYTES = 12 * 1024;
const FLUSH_INTERVAL_MS = 200;

export interface LogSink {
  /** The stream to hand to pino. */
  readonly stream: { write(line: string): void };
  /** Writes what is buffered now, synchronously, and stops the flush timer. */
  close(): void;
}

export function createStdoutSink(): LogSink {
  const destination = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES });
  let unflushed = false;
  const timer = setInterval(() => {
    if (!unflushed) return;
    unflushed = false;
    destination.flush();
  }, FLUSH_INTERVAL_MS);
  timer.unref();
  return {
    stream: {
      write(line) {
        unflushed = true;
        destination.write(line);
      },
    },
    close() {
      clearInterval(timer);
      try {
        destination.flushSync();
      } catch {
        // Not writable any more (EPIPE, closed stdout): nothing left to save.
      }
    },
  };
}
