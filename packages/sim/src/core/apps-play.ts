/** The applications that play files and wait (playback, play_and_get_digits) and the wait they share. */
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
 * clock (sleep, digit timeouts), which may run out meanwhile.
 */
export function wait(deps: AppDeps, app: AppHandle, ms: number | undefined, onEnd: (stopped: StopReason | undefined, countedMs: number) => void, countsFrames = false): void {
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
  const arm = (): void => {
    if (ms !== undefined) timer = clock.setTimeout(() => deps.executor.engine.defer(() => finish(undefined)), Math.max(0, ms - countedNow()));
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
  reg('play_and_get_digits', (ch, data, done, app) => {
    // Its prompt (switch_ivr_play_file) and digit collection parse the channel's messages.
    app.acceptsMessages = true;
    playAndGetDigits(deps, ch, data, done, app);
  });
}

/**
 * switch_regex_match's reading of a digits regex: `/re/flags` (`i`, `s`) or a bare pattern, matched
 * anywhere in the digits unless it anchors itself; undefined (never matches) when it does not compile.
 */
function digitsRegex(pattern: string): RegExp | undefined {
  let source = pattern;
  let flags = '';
  if (pattern.startsWith('/')) {
    const end = pattern.lastIndexOf('/');
    if (end === 0) return undefined;
    source = pattern.slice(1, end);
    const options = pattern.slice(end + 1);
    if (options.includes('i')) flags += 'i';
    if (options.includes('s')) flags += 's';
  }
  try {
    return new RegExp(source, flags);
  } catch {
    return undefined;
  }
}

/**
 * play_and_get_digits <min> <max> <tries> <timeout> <terminators> <file> <invalid_file> <var> [<regexp>]:
 * each try plays the prompt (not `silence`), a digit stopping it, then waits for the digits; a
 * wrong answer plays the invalid file (switch_play_and_get_digits, switch_ivr_read).
 */
function playAndGetDigits(deps: AppDeps, ch: Channel, data: string, done: (r?: string) => void, app: AppHandle): void {
  const a = data.trim().split(/\s+/);
  const min = Number(a[0] ?? 1);
  const max = Number(a[1] ?? 1);
  let tries = Math.max(1, Number(a[2] ?? 1));
  const timeout = Number(a[3] ?? 5000);
  const terminators = a[4] ?? '#';
  const prompt = a[5] ?? '';
  const invalidFile = a[6] ?? '';
  const varName = a[7] ?? 'pagd_input';
  const pattern = a[8];
  const regex = pattern === undefined ? undefined : digitsRegex(pattern);
  if (pattern !== undefined) ch.setVar(`${varName}_invalid`, undefined);
  /** A prompt (`digitStops`) ends at a digit, left for the collection; a hangup ends any file. */
  const play = (path: string, digitStops: boolean, next: (stopped: StopReason | undefined) => void): void => {
    if (path === '') return next(undefined);
    playFile(deps, ch, app, path, (stopped) => {
      ch.digitWaiter = undefined;
      next(stopped);
    });
    const stop = app.onStop;
    ch.digitWaiter = () => {
      if (ch.isHungUp) stop?.('hangup');
      else if (digitStops && ch.digits.length > 0) stop?.('break');
    };
    ch.digitWaiter();
  };
  const gone = (stopped: StopReason | undefined): boolean => stopped === 'hangup' || stopped === 'transfer' || ch.isHungUp;
  const attempt = (): void => {
    if (prompt.toLowerCase() === 'silence') return collect();
    play(prompt, true, (stopped) => (gone(stopped) ? done() : collect()));
  };
  const collect = (): void => {
    let collected = '';
    const take = (): boolean => {
      while (ch.digits.length > 0) {
        const d = ch.digits[0] ?? '';
        ch.digits = ch.digits.slice(1);
        if (terminators.includes(d)) return true;
        collected += d;
        if (collected.length >= max) return true;
      }
      return false;
    };
    const finish = (stopped?: StopReason): void => {
      ch.digitWaiter = undefined;
      const complete = collected !== '' && collected.length >= min;
      if (complete && (pattern === undefined || regex?.test(collected) === true)) {
        ch.setVar(varName, collected);
        done();
        return;
      }
      if (complete && pattern !== undefined) ch.setVar(`${varName}_invalid`, collected);
      if (gone(stopped)) return done();
      play(invalidFile, false, (afterInvalid) => {
        tries--;
        if (tries > 0 && !gone(afterInvalid)) attempt();
        else done();
      });
    };
    if (take()) return finish();
    wait(deps, app, timeout, (stopped) => finish(stopped));
    const stopTimer = app.onStop;
    ch.digitWaiter = () => {
      if (ch.isHungUp) return stopTimer?.('hangup');
      if (take()) stopTimer?.('break');
    };
  };
  attempt();
}
