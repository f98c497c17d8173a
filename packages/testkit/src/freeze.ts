/**
 * Freezing a broker for a fault test: SIGSTOP returns before the kernel has stopped every thread,
 * and on a busy machine a JVM's threads run on long enough to acknowledge a request sent just
 * after (then nothing is in flight, nothing times out, and the test sees a broker that never
 * froze). `freeze` resolves once every thread of the process is stopped (state T in /proc).
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** Whether every thread of `pid` is stopped; a thread that ended meanwhile answers nothing either. */
function allThreadsStopped(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((tid) => {
    try {
      // The state follows the command name's closing parenthesis (which the name may itself hold).
      return /^[Tt]/.test(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, ''));
    } catch {
      return true;
    }
  });
}

/** SIGSTOPs `child` and resolves once it can answer nothing more (a no-op without a running child). */
export async function freeze(child: ChildProcess | undefined): Promise<void> {
  const pid = child?.pid;
  if (child === undefined || pid === undefined || child.exitCode !== null) return;
  child.kill('SIGSTOP');
  // Polls an observed state, not a timing guess: each look is a few /proc reads.
  while (!allThreadsStopped(pid)) await delay(5);
}
