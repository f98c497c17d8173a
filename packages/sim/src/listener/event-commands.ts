/**
 * The tail of parse_command: log, linger, nolinger, nolog, event, nixevent, noevents — checked in
 * this order with prefix matching, as FreeSWITCH does. Returns '' when nothing matched.
 */
import type { CommandContext } from './commands.js';
import type { SessionState } from './session-state.js';
import { logLevel } from './subscriptions.js';

function startsWith(cmd: string, prefix: string): boolean {
  return cmd.slice(0, prefix.length).toLowerCase() === prefix;
}

function inSession(state: SessionState): boolean {
  return state.sessionUuid !== undefined || state.channel !== undefined;
}

/** The words after the first space following `offset` (strchr(cmd + offset, ' ')). */
function words(cmd: string, offset: number): string[] {
  const space = cmd.indexOf(' ', offset);
  return space < 0 ? [] : cmd.slice(space + 1).split(' ');
}

/** `rawHead`: the whole header block, which is FreeSWITCH's `cmd` where it does not cut the line (linger). */
export function runEventCommand(ctx: CommandContext, cmd: string, rawHead: string): string {
  const { state } = ctx;
  if (startsWith(cmd, 'log')) {
    if (!state.allowLog) return '-ERR permission denied';
    // The first word after `log`, spaces skipped (FreeSWITCH 1.10.12).
    const levelText = cmd.slice(3).replace(/^ +/, '').split(' ')[0] ?? '';
    const level = levelText === '' ? 7 : logLevel(levelText);
    if (level === undefined) return '-ERR invalid log level';
    state.logLevel = level;
    state.log = true;
    return `+OK log level ${levelText} [${level}]`;
  }
  if (startsWith(cmd, 'linger')) {
    if (!inSession(state)) return '-ERR not controlling a session';
    // `*(cmd+6) == ' ' && *(cmd+7)` on the uncut block: `linger ` is followed by its line feeds,
    // so it lingers atoi("\n\n") = 0 seconds.
    const seconds = rawHead[6] === ' ' && rawHead.length > 7 ? Number.parseInt(rawHead.slice(7), 10) || 0 : -1;
    state.lingerSeconds = seconds;
    state.linger = true;
    return seconds === -1 ? '+OK will linger' : `+OK will linger ${seconds} seconds`;
  }
  if (startsWith(cmd, 'nolinger')) {
    if (!inSession(state)) return '-ERR not controlling a session';
    state.linger = false;
    return '+OK will not linger';
  }
  if (startsWith(cmd, 'nolog')) {
    ctx.discardQueued('logs');
    if (!state.log) return '-ERR not loging';
    state.log = false;
    return '+OK no longer logging';
  }
  if (startsWith(cmd, 'event')) return eventCommand(state, cmd);
  if (startsWith(cmd, 'nixevent')) {
    const keys = state.subscription.remove(words(cmd, 5));
    if (keys === 0) return '-ERR no keywords supplied';
    state.events = true;
    return '+OK events nixed';
  }
  if (startsWith(cmd, 'noevents')) {
    ctx.discardQueued('events');
    if (!state.events) return '-ERR not listening for events';
    state.events = false;
    state.subscription.clear();
    return '+OK no longer listening for events';
  }
  return '';
}

function eventCommand(state: SessionState, cmd: string): string {
  const list = words(cmd, 5);
  const first = list[0]?.toLowerCase();
  // The first word may name the format; it is applied even when no event name follows.
  if (first === 'plain' || first === 'json' || first === 'xml') {
    state.format = first;
    list.shift();
  }
  const allowed = state.allowedEvents;
  // With esl-allowed-events, subclasses are checked against its list even when it allows ALL.
  const keys = state.subscription.add(
    list,
    allowed === undefined
      ? undefined
      : (name, subclass) => (subclass === undefined ? allowed.all || allowed.names.has(name) : allowed.subclasses.has(subclass)),
  );
  if (keys === 'denied') return '-ERR permission denied';
  if (keys === 0) return '-ERR no keywords supplied';
  state.events = true;
  return `+OK event listener enabled ${state.format}`;
}
