/** Hooks for the end of this process, however it ends short of SIGKILL. */
import { constants } from 'node:os';

const TERMINATING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `hook` when this process exits — also when a SIGINT, SIGTERM or SIGHUP would have killed it
 * outright: such a signal becomes an exit (128 + its number), unless something else in the
 * process listens for it and so owns the shutdown (a dashboard, a demo).
 */
export function onTermination(hook: () => void): void {
  process.once('exit', hook);
  for (const signal of TERMINATING_SIGNALS) {
    process.once(signal, () => {
      if (process.listenerCount(signal) === 0) process.exit(128 + constants.signals[signal]);
    });
  }
}
