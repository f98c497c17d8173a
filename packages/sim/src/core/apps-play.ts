/** playback, and the file playing and waiting the applications share (play_and_get_digits: play-and-get-digits.ts). */
import type { Channel } from './channel.js';
import type { AppHandle, AppImpl } from './executor.js';
import type { AppDeps } from './apps.js';
import type { TimerHandle } from './clock.js';
import { SITES } from './constants.js';
import { switchTrue } from './switch-true.js';

export type StopReason = 'hangup' | 'break' | 'transfer';

/**
 * Waits `ms` (or forever when undefined) unless stopped; calls back once with the time counted.
 * A message the channel gets meanwhile runs nested, as the application's loop calls
 * switch_ivr_parse_all_events: only a hangup or a transfer (the channel not ready) ends the wait
 * while it runs; any other end is seen once it has returned. `countsFrames`: the wait counts media
 * frames (switch_ivr_play_file) and stands still while the message runs; otherwise it counts the
 * clock (sleep, digit timeouts), which may run out meanwhile. `restart(ms)` counts a new wait
 * from now (a digit restarting the digit timeout), unless the old one has already run out.
 */
export function wait(deps: AppDeps, app: AppHandle, ms: number | undefined, onEnd: (stopped: StopReason | undefined, countedMs: number) => void, countsFrames = false): { restart(ms: number): void } {
  const clock = deps.clock;
  const nowMs = (): number => clock.nowMicros() / 1000;
  let over = false;
  let nested = false;
  let held: { reason: StopReason | undefined } | undefined;
  let counted = 0;
  let since = nowMs();
  let paused = false;
  let timer: TimerHandle | undefined;
  const countedNow = (): number => counted + (paused ? 0 : nowMs() - since);
  const finish = (r: StopReason | undefined): void => {
    if (over) return;
    if (nested && r !== 'hangup' && r !== 'transfer') {
      held ??= { reason: r };
      return;
    }
    over = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    onEnd(r, Math.floor(countedNow()));
  };
  // Timer callbacks run as queued channel work, so what they trigger keeps FreeSWITCH's order.
  let limit = ms;
  const arm = (): void => {
    if (limit !== undefined) timer = clock.setTimeout(() => deps.executor.engine.defer(() => finish(undefined)), Math.max(0, limit - countedNow()));
  };
  app.onStop = (r) => finish(r);
  app.onMessageStart = () => {
    if (nested || over) return;
    nested = true;
    if (!countsFrames) return;
    counted += nowMs() - since;
    paused = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  app.onMessagesIdle = () => {
    if (!nested || over) return;
    nested = false;
    if (held !== undefined) return finish(held.reason);
    if (!paused) return;
    paused = false;
    since = nowMs();
    arm();
  };
  arm();
  return {
    restart: (next) => {
      if (over || held !== undefined) return;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      limit = next;
      counted = 0;
      since = nowMs();
      if (!paused) arm();
    },
  };
}

function fileType(path: string): string {
  const stream = /^([a-z_]+):\/\//.exec(path);
  if (stream?.[1] !== undefined) return stream[1];
  const ext = /\.([A-Za-z0-9]+)$/.exec(path);
  return ext?.[1] ?? 'wav';
}

/** switch_ivr_play_file's playback_timeout_sec: atoi, and only above 1 s. */
function playbackTimeoutMs(ch: Channel): number | undefined {
  const seconds = Number.parseInt(ch.getVar('playback_timeout_sec') ?? '', 10);
  return Number.isFinite(seconds) && seconds > 1 ? seconds * 1000 : undefined;
}

/**
 * switch_ivr_play_file, timed by the file model: PLAYBACK_START, the file's length (cut by
 * playback_timeout_sec: `timedOut`), the `playback_*` variables, PLAYBACK_STOP. The channel's
 * messages run nested meanwhile, the file paused.
 */
export function playFile(deps: AppDeps, ch: Channel, app: AppHandle, path: string, next: (stopped: StopReason | undefined, timedOut: boolean) => void): void {
  const e = deps.executor.engine;
  const whole = deps.fileLengthMs(path);
  const limit = playbackTimeoutMs(ch);
  const len = limit === undefined || (whole !== undefined && whole <= limit) ? whole : limit;
  const fileHeaders: Array<[string, string]> = [['Playback-File-Type', fileType(path)], ['Playback-File-Path', path]];
  e.fire(ch, 'PLAYBACK_START', SITES.PLAYBACK_START, { post: fileHeaders });
  wait(deps, app, len, (stopped, played) => {
    // Played to its end, FreeSWITCH counts the file's samples; stopped early, what was played.
    const ms = len === undefined ? played : stopped === undefined ? len : Math.min(len, played);
    const samples = ms * 8;
    ch.setVar('playback_last_offset_pos', String(samples));
    ch.setVar('playback_seconds', String(Math.floor(ms / 1000)));
    ch.setVar('playback_ms', String(ms));
    ch.setVar('playback_samples', String(samples));
    // Only uuid_break (CF_BREAK) is a break; a hangup or transfer leaves the channel not ready,
    // which ends the file with SWITCH_STATUS_FALSE: status done.
    e.fire(ch, 'PLAYBACK_STOP', SITES.PLAYBACK_STOP, { post: [...fileHeaders, ['Playback-Status', stopped === 'break' ? 'break' : 'done']] });
    next(stopped, len !== whole);
  }, true);
}

export function registerPlayApps(deps: AppDeps, reg: (name: string, impl: AppImpl) => void): void {
  reg('playback', (ch, path, done, app) => {
    // switch_ivr_play_file records the file and the application again (data first).
    ch.setVar('current_application_data', path);
    ch.setVar('current_application', 'playback');
    // switch_ivr_play_file parses the channel's messages on every frame.
    app.acceptsMessages = true;
    playFile(deps, ch, app, path, (stopped, timedOut) => {
      // A timeout is SWITCH_STATUS_TIMEOUT to playback_function unless playback_timeout_as_success.
      const timeoutFailed = stopped === undefined && timedOut && !switchTrue(ch.getVar('playback_timeout_as_success'));
      const failed = timeoutFailed || stopped === 'hangup' || stopped === 'transfer';
      done(failed ? 'PLAYBACK ERROR' : 'FILE PLAYED');
    });
  });
}

