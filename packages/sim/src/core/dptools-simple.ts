/**
 * mod_dptools applications whose whole effect the simulator can give: log lines and channel
 * variables (log, info, unset, multiset, multiunset) and sched_hangup (registered by SimCore), with
 * FreeSWITCH 1.10.12's argument parsing and log texts.
 */
import type { Channel } from './channel.js';
import type { AppDeps } from './apps.js';
import type { AppImpl } from './executor.js';
import type { Engine } from './engine.js';
import type { HangupScheduler } from './api-sched.js';
import { hangupTime } from './api-sched.js';
import { LOG_DEBUG, LOG_ERR, LOG_INFO, normaliseCause } from './constants.js';
import { switchSeparateString } from './separate-string.js';
import { LOG_INVALID, logStr2Level } from './log-level.js';
import { baseSet } from './dptools-stack.js';

const DPTOOLS = 'mod_dptools.c';

/** Lines above DEBUG (or DISABLE) pass no log filter: FreeSWITCH writes nothing. */
function logAt(deps: AppDeps, ch: Channel, level: number, func: string, line: number, text: string): void {
  if (level >= 0 && level <= LOG_DEBUG) deps.executor.engine.log(ch, level, { file: DPTOOLS, func, line }, text);
}

export function registerSimpleApps(deps: AppDeps, reg: (name: string, impl: AppImpl) => void): void {
  // `log [<level> ]<text>`: a first word that is no level is dropped, and the text goes out at DEBUG.
  reg('log', (ch, data, done) => {
    const space = data.indexOf(' ');
    const level = space < 0 ? LOG_INVALID : logStr2Level(data.slice(0, space));
    logAt(deps, ch, level === LOG_INVALID ? LOG_DEBUG : level, 'log_function', 1865, space < 0 ? data : data.slice(space + 1));
    done();
  });
  // `info [<level>]`: the channel's data, as switch_event_serialize writes it unencoded (`Name: [value]`).
  reg('info', (ch, data, done) => {
    const level = data === '' ? LOG_INFO : logStr2Level(data);
    const lines = ch.channelHeaders(true).map(([k, v]) => `${k}: [${v}]`);
    logAt(deps, ch, level, 'info_function', 1884, `CHANNEL_DATA:\n${lines.join('\n')}\n\n`);
    done();
  });
  reg('unset', (ch, data, done) => {
    if (data === '') logAt(deps, ch, LOG_ERR, 'unset_function', 1814, 'No variable name specified.');
    else {
      logAt(deps, ch, LOG_DEBUG, 'unset_function', 1816, `UNSET [${data}]`);
      ch.setVar(data, undefined);
    }
    done();
  });
  reg('multiset', (ch, data, done) => {
    for (const item of multiArgs(data)) baseSet(deps, ch, item);
    done();
  });
  reg('multiunset', (ch, data, done) => {
    for (const name of multiArgs(data)) ch.setVar(name, undefined);
    done();
  });
}

/** multiset / multiunset: `^^<d>` picks the delimiter (a blank by default), then switch_split. */
function multiArgs(data: string): string[] {
  if (data.startsWith('^^')) return switchSeparateString(data.slice(3), data[2] ?? '');
  return switchSeparateString(data, ' ');
}

/**
 * `sched_hangup [+]<time> [<cause>] [bleg]` (mod_dptools' sched_hangup_function), on the core's
 * scheduler: SimCore registers it with that scheduler (registerSimpleApps cannot reach it).
 */
export function schedHangupApp(engine: Engine, scheduler: HangupScheduler): AppImpl {
  return (ch, data, done) => {
    if (data !== '') {
      const [when = '', causeText, leg] = switchSeparateString(data, ' ', 5);
      const cause = causeText === undefined ? 'ALLOTTED_TIMEOUT' : (normaliseCause(causeText) ?? 'NONE');
      const { sec, runtime } = hangupTime(when, scheduler.nowSeconds());
      if (sec === 0) engine.hangup(ch, cause);
      else scheduler.add(runtime, ch.uuid, cause, leg?.toLowerCase() === 'bleg');
    }
    done();
  };
}
