/** The dialplan applications the simulator implements (mod_dptools behaviour, simulated media). */
import type { Channel } from './channel.js';
import type { Executor, AppHandle } from './executor.js';
import type { SimClock, TimerHandle } from './clock.js';
import type { OutboundConnector, OutboundChannel } from './types.js';
import { SITES, normaliseCause } from './constants.js';
import { switchTrue } from './switch-true.js';
import { registerSimpleApps } from './dptools-simple.js';
import { LOG_SITES } from './log-sites.js';

export interface AppDeps {
  readonly executor: Executor;
  readonly clock: SimClock;
  outbound(): OutboundConnector | undefined;
  /** Length of a file for playback; undefined = plays until stopped. */
  fileLengthMs(path: string): number | undefined;
  bridge(ch: Channel, target: string, done: (response?: string) => void, app: AppHandle): void;
  outboundChannel(ch: Channel, onConnected: () => void): OutboundChannel;
}

/** tone_stream / silence_stream lengths; files default to the configured length. */
export function estimateLengthMs(path: string, fileDefaultMs: number, overrides: ReadonlyMap<string, number>): number | undefined {
  const o = overrides.get(path);
  if (o !== undefined) return o;
  if (path.startsWith('tone_stream://')) {
    const loopsMatch = /;loops=(-?\d+)/.exec(path);
    const loops = loopsMatch ? Number(loopsMatch[1]) : 1;
    if (loops < 0) return undefined;
    let total = 0;
    for (const m of path.matchAll(/%\(([^)]*)\)/g)) {
      const [on = '0', off = '0'] = (m[1] ?? '').split(',');
      total += Number(on) + Number(off);
    }
    return total * Math.max(1, loops);
  }
  if (path.startsWith('silence_stream://')) {
    const ms = Number(path.slice('silence_stream://'.length).split(',')[0]);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  }
  if (path.startsWith('local_stream://')) return undefined;
  return fileDefaultMs;
}

function fileType(path: string): string {
  const stream = /^([a-z_]+):\/\//.exec(path);
  if (stream?.[1] !== undefined) return stream[1];
  const ext = /\.([A-Za-z0-9]+)$/.exec(path);
  return ext?.[1] ?? 'wav';
}

type StopReason = 'hangup' | 'break' | 'transfer';

/**
 * Waits `ms` (or forever when undefined) unless stopped; calls back once with the time counted.
 * A message the channel gets meanwhile runs nested, as the application's loop calls
 * switch_ivr_parse_all_events: only a hangup or a transfer (the channel not ready) ends the wait
 * while it runs; any other end is seen once it has returned. `countsFrames`: the wait counts media
 * frames (switch_ivr_play_file) and stands still while the message runs; otherwise it counts the
 * clock (sleep, digit timeouts), which may run out meanwhile.
 */
function wait(deps: AppDeps, app: AppHandle, ms: number | undefined, onEnd: (stopped: StopReason | undefined, countedMs: number) => void, countsFrames = false): void {
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

export function registerApps(deps: AppDeps): void {
  const { executor } = deps;
  const e = executor.engine;
  const reg = (name: string, impl: (ch: Channel, data: string, done: (r?: string) => void, app: AppHandle) => void): void => {
    executor.apps.set(name, impl);
  };

  reg('answer', (ch, _d, done) => { e.answer(ch); done(); });
  reg('pre_answer', (ch, _d, done) => { e.preAnswer(ch); done(); });
  reg('ring_ready', (ch, _d, done) => { e.ringReady(ch); done(); });
  reg('hangup', (ch, data, done) => { e.hangup(ch, normaliseCause(data.trim()) ?? 'NORMAL_CLEARING', LOG_SITES.HANGUP_APP); done(); });
  const setVar = (ch: Channel, data: string, both: boolean): void => {
    const i = data.indexOf('=');
    const name = (i < 0 ? data : data.slice(0, i)).trim();
    const value = i < 0 ? undefined : data.slice(i + 1);
    if (name === '') return;
    ch.setVar(name, value);
    if (both) for (const peer of [ch.loopbackPartner, ch.bridgedTo]) peer?.setVar(name, value);
  };
  reg('set', (ch, data, done) => { setVar(ch, data, false); done(); });
  reg('export', (ch, data, done) => { setVar(ch, data, true); done(); });

  reg('park', (ch, _d, done, app) => {
    // switch_ivr_park consumes park_timeout (`<seconds>[:<cause>]`) and hangs up when it expires.
    const timeout = parkTimeout(ch.getVar('park_timeout'));
    if (timeout !== undefined) ch.setVar('park_timeout', undefined);
    e.fire(ch, 'CHANNEL_PARK', SITES.CHANNEL_PARK);
    app.acceptsMessages = true;
    let over = false;
    let due = false;
    const end = (cause?: string): void => {
      if (over) return;
      over = true;
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      if (cause !== undefined) e.hangup(ch, cause);
      e.fire(ch, 'CHANNEL_UNPARK', SITES.CHANNEL_UNPARK);
      done();
    };
    // The park loop checks its timeout between the messages it runs: one still running (a
    // uuid_broadcast playback) holds the check back until it has returned.
    const expire = (): void => {
      if (ch.processingMessage) due = true;
      else end(timeout?.cause);
    };
    const timer = timeout === undefined ? undefined : deps.clock.setTimeout(() => e.defer(expire), timeout.ms);
    app.onMessagesIdle = () => {
      if (due) end(timeout?.cause);
    };
    app.onStop = () => end();
  });
  reg('sleep', (ch, data, done, app) => {
    app.acceptsMessages = true;
    const ms = Number(data);
    wait(deps, app, Number.isFinite(ms) && ms >= 0 ? ms : 0, () => done());
  });
  reg('echo', (_ch, _d, done, app) => {
    app.acceptsMessages = true;
    wait(deps, app, undefined, () => done());
  });
  reg('playback', (ch, data, done, app) => {
    const path = data;
    const whole = deps.fileLengthMs(path);
    const limit = playbackTimeoutMs(ch);
    const len = limit === undefined || (whole !== undefined && whole <= limit) ? whole : limit;
    const timedOut = len !== whole;
    const fileHeaders: Array<[string, string]> = [['Playback-File-Type', fileType(path)], ['Playback-File-Path', path]];
    // switch_ivr_play_file records the file and the application again (data first).
    ch.setVar('current_application_data', path);
    ch.setVar('current_application', 'playback');
    e.fire(ch, 'PLAYBACK_START', SITES.PLAYBACK_START, { post: fileHeaders });
    // switch_ivr_play_file parses the channel's messages on every frame: they run nested, the file paused.
    app.acceptsMessages = true;
    wait(deps, app, len, (stopped, played) => {
      // Played to its end, FreeSWITCH counts the file's samples; stopped early, what was played.
      const ms = len === undefined ? played : stopped === undefined ? len : Math.min(len, played);
      const samples = ms * 8;
      ch.setVar('playback_last_offset_pos', String(samples));
      ch.setVar('playback_seconds', String(Math.floor(ms / 1000)));
      ch.setVar('playback_ms', String(ms));
      ch.setVar('playback_samples', String(samples));
      // Only uuid_break (CF_BREAK) is a break; a hangup or transfer leaves the channel not ready,
      // which ends the file with SWITCH_STATUS_FALSE: status done, PLAYBACK ERROR.
      e.fire(ch, 'PLAYBACK_STOP', SITES.PLAYBACK_STOP, { post: [...fileHeaders, ['Playback-Status', stopped === 'break' ? 'break' : 'done']] });
      // A timeout is SWITCH_STATUS_TIMEOUT to playback_function unless playback_timeout_as_success.
      const timeoutFailed = stopped === undefined && timedOut && !switchTrue(ch.getVar('playback_timeout_as_success'));
      const failed = timeoutFailed || stopped === 'hangup' || stopped === 'transfer';
      done(failed ? 'PLAYBACK ERROR' : 'FILE PLAYED');
    }, true);
  });
  reg('play_and_get_digits', (ch, data, done, app) => {
    // Its prompt (switch_ivr_play_file) and digit collection parse the channel's messages.
    app.acceptsMessages = true;
    playAndGetDigits(deps, ch, data, done, app);
  });
  reg('transfer', (ch, data, done) => {
    const [ext = '', dp = 'XML', ctx = ch.profile?.context ?? 'default'] = data.trim().split(/\s+/);
    executor.transfer(ch, ext, dp, ctx);
    done();
  });
  reg('bridge', (ch, data, done, app) => {
    // switch_ivr_originate parses the caller's messages while it dials, audio_bridge_thread once bridged.
    app.acceptsMessages = true;
    deps.bridge(ch, data.trim(), done, app);
  });
  reg('socket', (ch, data, done, app) => runSocket(deps, ch, data, done, app));
  registerSimpleApps(deps, reg);
}

/** switch_ivr_play_file's playback_timeout_sec: atoi, and only above 1 s. */
function playbackTimeoutMs(ch: Channel): number | undefined {
  const seconds = Number.parseInt(ch.getVar('playback_timeout_sec') ?? '', 10);
  return Number.isFinite(seconds) && seconds > 1 ? seconds * 1000 : undefined;
}

/** park_timeout=<seconds>[:<cause>] as switch_ivr_park reads it (atoi; cause by name, default NORMAL_CLEARING). */
function parkTimeout(value: string | undefined): { ms: number; cause: string } | undefined {
  if (value === undefined || value === '') return undefined;
  const colon = value.indexOf(':');
  const seconds = Number.parseInt(colon < 0 ? value : value.slice(0, colon), 10);
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return { ms: seconds * 1000, cause: (colon < 0 ? undefined : normaliseCause(value.slice(colon + 1))) ?? 'NORMAL_CLEARING' };
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
  const e = deps.executor.engine;
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
  /** switch_ivr_play_file, timed by the file model as `playback` is; with `digitStops` (a prompt) a digit ends it, left for the collection. */
  const play = (path: string, digitStops: boolean, next: (stopped: StopReason | undefined) => void): void => {
    if (path === '') return next(undefined);
    const fileHeaders: Array<[string, string]> = [['Playback-File-Type', fileType(path)], ['Playback-File-Path', path]];
    e.fire(ch, 'PLAYBACK_START', SITES.PLAYBACK_START, { post: fileHeaders });
    wait(deps, app, deps.fileLengthMs(path), (stopped) => {
      ch.digitWaiter = undefined;
      e.fire(ch, 'PLAYBACK_STOP', SITES.PLAYBACK_STOP, { post: [...fileHeaders, ['Playback-Status', stopped === 'break' ? 'break' : 'done']] });
      next(stopped);
    }, true);
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

/** socket_function's port: atoi of what follows the host's last `:`, as a switch_port_t. */
function socketPort(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m === null ? 0 : Number.parseInt(m[1]!, 10) & 0xffff;
}

const SOCKET_SITE = (line: number): { file: string; func: string; line: number } => ({ file: 'mod_event_socket.c', func: 'socket_function', line });

/**
 * socket <host:port>[|<host:port>…] [async] [full]: hands the channel to the wire layer's outbound
 * connector, trying each host in turn until one answers; the flags are read in any case
 * (strcasecmp). Only `async` runs the session beside a parked channel (mod_event_socket.c
 * socket_function); a static session runs listener_run on the channel's own thread: nothing
 * queued for the channel runs meanwhile, and a hangup's state changes wait until the session is over.
 */
function runSocket(deps: AppDeps, ch: Channel, data: string, done: (r?: string) => void, app: AppHandle): void {
  const e = deps.executor.engine;
  const [target = '', ...flags] = data.trim().split(/\s+/);
  const hasFlag = (name: string): boolean => flags.some((f) => f.toLowerCase() === name);
  const isAsync = hasFlag('async');
  const full = hasFlag('full');
  const hosts = target.split('|');
  const connector = deps.outbound();
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (parked) e.fire(ch, 'CHANNEL_UNPARK', SITES.CHANNEL_UNPARK);
    done();
  };
  /** The static session is over: the application returns, then a waiting hangup goes on. */
  const giveThreadBack = (): void => {
    app.holdsThread = false;
    finish();
    e.resumeHangup(ch);
  };
  let parked = false;
  app.onStop = () => finish();
  const onConnected = (): void => {
    // socket_function parks once, after the first `connect`; a later one only resends the channel data.
    if (finished || parked || ch.isHungUp || !isAsync) return;
    parked = true;
    e.fire(ch, 'CHANNEL_PARK', SITES.CHANNEL_PARK);
    // switch_ivr_park parses the channel's queued messages (sendmsg, uuid_broadcast).
    app.acceptsMessages = true;
    deps.executor.drainMessages(ch);
  };
  const outboundChannel = deps.outboundChannel(ch, onConnected);
  const refused = (): void => e.log(ch, 3, SOCKET_SITE(486), 'Socket Error: Connection refused');
  // The port carries over to a later host that names none, as socket_function's one variable does.
  let port = 8084;
  let connecting = false;
  /** Hosts from `x` on, synchronously up to the first connection attempt; false when none was made. */
  const tryFrom = (x: number): boolean => {
    for (; x < hosts.length; x++) {
      const text = hosts[x]!;
      if (text === '') {
        e.log(ch, 3, SOCKET_SITE(448), 'Missing Host!');
        continue;
      }
      e.log(ch, 5, SOCKET_SITE(452), `Trying host: ${text}`);
      const i = text.lastIndexOf(':');
      const host = i > 0 ? text.slice(0, i) : text;
      if (i > 0) port = socketPort(text.slice(i + 1));
      ch.setVar('socket_host', host);
      if (connector === undefined) {
        refused();
        continue;
      }
      const next = x + 1;
      if (!connecting) {
        connecting = true;
        if (!isAsync) app.holdsThread = true;
        // The outbound session holds the channel: it is destroyed only once the session has closed.
        e.hold(ch);
      }
      connector.connect({ host, port, async: isAsync, full }, outboundChannel).then(
        () => e.defer(() => {
          // Session over: mod_event_socket never hangs up, `resume` or not. socket_function returns
          // and the dialplan goes on; after its last application the executor hangs up (NORMAL_CLEARING).
          if (isAsync) finish();
          else giveThreadBack();
          e.release(ch);
        }),
        () => e.defer(() => {
          if (finished) return e.release(ch);
          refused();
          if (tryFrom(next)) return;
          e.release(ch);
          app.holdsThread = false;
          unreachable();
          e.resumeHangup(ch);
        }),
      );
      return true;
    }
    return false;
  };
  /** socket_function when no host answers: a log line and a return — the dialplan goes on. */
  const unreachable = (): void => {
    e.log(ch, 3, SOCKET_SITE(490), 'Socket Error!');
    finish();
  };
  if (!tryFrom(0)) unreachable();
}
