/**
 * Recording a session as FreeSWITCH 1.10.12 does it (switch_ivr_async.c
 * switch_ivr_record_session_event, record_callback, send_record_stop_event), without media: the
 * simulator writes no file. What a caller sees is modelled: `uuid_record`'s replies, the
 * `record_session` / `stop_record_session` applications, RECORD_START when the media bug is added
 * (before the reply), RECORD_STOP when it is removed — by a stop, the `<limit>` in seconds, or the
 * hangup (switch_core_session_hangup_state, after CS_HANGUP) — with the `record_*` variables it sets.
 */
import type { Channel, MediaBug } from './channel.js';
import type { Engine } from './engine.js';
import type { SimClock, TimerHandle } from './clock.js';
import type { ApiHandler } from './api.js';
import type { AppImpl } from './executor.js';
import { LOG_WARNING, site } from './constants.js';
import { atoi } from './c-num.js';

const START_EVENT = site('switch_ivr_async.c', 'record_callback', 1481);
const STOP_EVENT = site('switch_ivr_async.c', 'send_record_stop_event', 1240);
const ALREADY_LOG = site('switch_ivr_async.c', 'switch_ivr_record_session_event', 2966);
const SYNTAX = '<uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]';
/** The channels' read rate (samples per ms at 8 kHz). */
const RATE_MULT = 8;

export interface RecordDeps {
  readonly engine: Engine;
  readonly clock: SimClock;
  /** The global variables: sound_prefix and base_dir name where a relative path goes. */
  readonly globals: ReadonlyMap<string, string>;
}

/** `{a=b,c=d}` (url-decoded first, as the callers do) as switch_event_create_brackets reads it. */
function recordingVars(text: string | undefined): Array<[string, string]> {
  if (text === undefined) return [];
  let decoded = text;
  try {
    decoded = decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // Left as it is, like switch_url_decode on a bad escape.
  }
  const m = /^\{(.*)\}$/.exec(decoded.trim());
  if (m === null) return [];
  const vars: Array<[string, string]> = [];
  for (const pair of (m[1] ?? '').split(',')) {
    const i = pair.indexOf('=');
    if (i > 0) vars.push([pair.slice(0, i), pair.slice(i + 1)]);
  }
  return vars;
}

/** switch_is_file_path: an absolute path or a URL is kept; anything else goes under sound_prefix (else base_dir). */
function resolvePath(deps: RecordDeps, ch: Channel, vars: ReadonlyArray<[string, string]>, file: string): string {
  if (file.startsWith('/') || file.includes('://')) return file;
  const prefix = vars.find(([k]) => k === 'sound_prefix')?.[1] ?? ch.getVar('sound_prefix') ?? deps.globals.get('sound_prefix') ?? deps.globals.get('base_dir') ?? '';
  return `${prefix}/${file}`;
}

/**
 * switch_ivr_record_session_event: pre-answers the channel, then adds the media bug — RECORD_START
 * at once. A file already recorded on that path is left recording (a warning). `limitSec` > 0
 * removes the bug once it has passed.
 */
export function startRecording(deps: RecordDeps, ch: Channel, file: string, limitSec: number, vars: ReadonlyArray<[string, string]>): boolean {
  const e = deps.engine;
  e.preAnswer(ch);
  if (ch.isHungUp) return false;
  if (ch.mediaBugs.has(file)) {
    e.log(ch, LOG_WARNING, ALREADY_LOG, `Already recording [${file}]`);
    return true;
  }
  const path = resolvePath(deps, ch, vars, file);
  const recVars: Array<[string, string]> = vars.map(([k, v]) => [`Recording-Variable-${k}`, v]);
  const started = e.now();
  let timer: TimerHandle | undefined;
  const bug: MediaBug = {
    stop: (hungUp) => {
      if (ch.mediaBugs.get(path) !== bug) return;
      ch.mediaBugs.delete(path);
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      // The frames the recording thread wrote: the call's audio for as long as it ran (at 8 kHz).
      const samples = Math.max(0, Math.floor((e.now() - started) / 1000)) * RATE_MULT;
      ch.setVar('record_samples', String(samples));
      ch.setVar('record_seconds', String(Math.floor(samples / (RATE_MULT * 1000))));
      ch.setVar('record_ms', String(Math.floor(samples / RATE_MULT)));
      let cause: string;
      if (samples === 0) {
        // Nothing written: the file is removed.
        ch.setVar('RECORD_DISCARDED', 'true');
        cause = 'empty-file';
      } else {
        // No silence detection: speech is assumed from the first frame, so a hangup is final silence.
        cause = hungUp ? 'success-silence' : 'success-maxtime';
      }
      ch.setVar('record_completion_cause', cause);
      e.fire(ch, 'RECORD_STOP', STOP_EVENT, { post: [['Record-File-Path', path], ...recVars, ['Record-Completion-Cause', cause]] });
    },
  };
  ch.mediaBugs.set(path, bug);
  e.fire(ch, 'RECORD_START', START_EVENT, { post: [['Record-File-Path', path], ...recVars] });
  if (limitSec > 0) timer = deps.clock.setTimeout(() => e.defer(() => bug.stop(false)), limitSec * 1000);
  return true;
}

/** switch_ivr_stop_record_session: the bug on that path (as resolved at start), or `all` of them. */
export function stopRecording(ch: Channel, file: string): boolean {
  if (file.toLowerCase() === 'all') {
    const bugs = [...ch.mediaBugs.values()];
    for (const b of bugs) b.stop(false);
    return bugs.length > 0;
  }
  const bug = ch.mediaBugs.get(file);
  bug?.stop(false);
  return bug !== undefined;
}

/** `uuid_record <uuid> start|stop|pause|resume|mask|unmask <path> [<limit>] [<recording_vars>]` (session_record_function). */
export const uuidRecordApi: ApiHandler = (host, args) => {
  const deps: RecordDeps = { engine: host.engine, clock: host.engine.bus.clock, globals: host.globals };
  {
    const usage = `-USAGE: ${SYNTAX}\n`;
    // switch_separate_string(' ', 5): the fifth word is the rest of the line.
    const words = args.split(' ').filter((w) => w !== '');
    if (words.length < 3) return usage;
    const [uuid = '', action = '', path = ''] = words;
    const ch = deps.engine.locate(uuid);
    if (ch === undefined) return '-ERR Cannot locate session!\n';
    switch (action.toLowerCase()) {
      case 'start': {
        const limit = words[3] === undefined ? 0 : Math.max(0, atoi(words[3]));
        const vars = recordingVars(words.length > 4 ? words.slice(4).join(' ') : undefined);
        return startRecording(deps, ch, path, limit, vars) ? '+OK Success\n' : '-ERR Cannot record session!\n';
      }
      case 'stop': return stopRecording(ch, path) ? '+OK Success\n' : '-ERR Cannot stop record session!\n';
      // No audio: pausing or masking only needs the recording to be there.
      case 'pause': return ch.mediaBugs.has(path) ? '+OK Success\n' : '-ERR Cannot pause recording session!\n';
      case 'resume': return ch.mediaBugs.has(path) ? '+OK Success\n' : '-ERR Cannot resume recording session!\n';
      case 'mask': return ch.mediaBugs.has(path) ? '+OK Success\n' : '-ERR Cannot mask recording session!\n';
      case 'unmask': return ch.mediaBugs.has(path) ? '+OK Success\n' : '-ERR Cannot unmask recording session!\n';
      default: return usage;
    }
  }
};

/** record_session `<path> [+<limit>] [{var=value,…}]` and stop_record_session `<path>|all` (mod_dptools). */
export function recordApps(deps: RecordDeps): ReadonlyMap<string, AppImpl> {
  return new Map<string, AppImpl>([
    ['record_session', (ch, data, done) => {
      const words = data.split(' ').filter((w) => w !== '');
      const [path, second, third] = words;
      if (path !== undefined) {
        const limited = second?.startsWith('+') === true;
        startRecording(deps, ch, path, limited ? Math.max(0, atoi(second.slice(1))) : 0, recordingVars(limited ? third : second));
      }
      done();
    }],
    ['stop_record_session', (ch, data, done) => {
      stopRecording(ch, data);
      done();
    }],
  ]);
}
