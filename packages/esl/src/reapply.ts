/**
 * What a reconnect re-applies: the subscription, filters, log level and myevents the user set on
 * the connection before, in that order and pipelined; divert_events once myevents is accepted.
 * A refused myevents (its channel is gone: `-ERR invalid uuid`) is reported and forgotten, with
 * the divert_events that needs it.
 */
import { simpleCommand } from './command-text.js';
import type { ReplyFrame } from './connection.js';
import { EslClosedError, EslCommandError } from './errors.js';
import type { EslLogger } from './logger.js';
import type { SubscriptionState } from './subscription-state.js';

/** The client's side of one re-apply, on the socket just opened. */
export interface ReapplyTarget {
  readonly subs: SubscriptionState;
  send(text: string, label: string): Promise<ReplyFrame>;
  /** Whether that socket is still the client's and open: only then is an accepted line recorded. */
  current(): boolean;
  readonly logger: EslLogger;
  /** A line FreeSWITCH refused; `command`: its first word (`filter`, `myevents`…). */
  refused(err: EslCommandError, command: string): void;
}

export async function reapplyTracked(target: ReapplyTarget): Promise<void> {
  const { subs } = target;
  const commands = subs.replayCommands();
  const myevents = subs.myevents;
  const divert = myevents !== undefined && commands.at(-1)?.startsWith('divert_events ') === true ? commands.pop() : undefined;
  if (commands.length === 0) return;
  const replies = await Promise.allSettled(commands.map((line) => target.send(simpleCommand(line), line.split(' ', 1)[0]!)));
  let myeventsOn = false;
  replies.forEach((r, i) => {
    const line = commands[i]!;
    const ok = reapplied(target, line, r);
    if (line !== myevents) return;
    myeventsOn = ok;
    if (r.status === 'fulfilled' && !ok) {
      subs.myevents = undefined;
      subs.divert = undefined;
    }
  });
  if (divert !== undefined && myeventsOn) {
    const [r] = await Promise.allSettled([target.send(simpleCommand(divert), 'divert_events')]);
    reapplied(target, divert, r);
  }
}

/** Reports a failed or refused re-apply, records an accepted one; true when FreeSWITCH accepted it. */
function reapplied(target: ReapplyTarget, line: string, r: PromiseSettledResult<ReplyFrame>): boolean {
  if (r.status === 'rejected') {
    // The connection died: the failed reconnect is logged once, not once per command.
    if (r.reason instanceof EslClosedError) return false;
    target.logger.warn({ err: r.reason as unknown, command: line.split(' ', 1)[0] }, 're-apply failed');
    return false;
  }
  if (r.value.kind !== 'command-reply') return true;
  if (!r.value.ok) {
    target.refused(new EslCommandError(`re-apply of "${line}"`, r.value.replyText), line.split(' ', 1)[0]!);
    return false;
  }
  // Recorded only while that socket is alive and current: a re-apply cut short answers nothing.
  if (target.current()) target.subs.onReplayed(line, r.value);
  return true;
}
