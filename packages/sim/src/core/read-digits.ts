/**
 * switch_ivr_read and switch_ivr_collect_digits_count (FreeSWITCH 1.10.12), on the simulated
 * channel's digit queue (`ch.digits`, fed by uuid_recv_dtmf and control.sendDigits).
 */
import type { Channel } from './channel.js';
import type { AppHandle } from './executor.js';
import type { AppDeps } from './apps.js';
import { playFile, wait } from './apps-play.js';
import type { StopReason } from './apps-play.js';

/** The switch_status_t values a read ends with, as far as its callers tell them apart. */
export type ReadStatus = 'success' | 'timeout' | 'too-small' | 'restart' | 'false';

export interface ReadSpec {
  readonly min: number;
  readonly max: number;
  /** Played first unless empty or `silence`; a digit stops it and is the first one read. */
  readonly prompt: string;
  readonly varName: string | undefined;
  readonly timeoutMs: number;
  /** `=` first: one must end the digits; `+x` before one keeps it in them (`x`: restart). */
  readonly terminators: string;
  /** 0: the timeout. */
  readonly digitTimeoutMs: number;
}

/**
 * Plays `path` (nothing when empty); with `digitStops`, a digit waiting or arriving ends it (the
 * `break` it ends with), left in the queue. A hangup ends any file at once.
 */
export function playStoppable(deps: AppDeps, ch: Channel, app: AppHandle, path: string, digitStops: boolean, next: (stopped: StopReason | undefined) => void): void {
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
}

/**
 * switch_ivr_read: clears `read_result` and the variable, plays the prompt, collects what is
 * missing, then sets `read_result` (success / timeout / failure), `read_terminator_used`, and
 * the variable to the digits read — whatever came, even too few. `done` gets the status and them.
 */
export function ivrRead(deps: AppDeps, ch: Channel, app: AppHandle, spec: ReadSpec, done: (status: ReadStatus, digits: string) => void): void {
  const { min, terminators } = spec;
  const max = Math.max(spec.max, min);
  const digitTimeout = spec.digitTimeoutMs || spec.timeoutMs;
  ch.setVar('read_result', undefined);
  if (spec.varName !== undefined) ch.setVar(spec.varName, undefined);
  let digits = '';
  const end = (status: ReadStatus, cleared: boolean): void => {
    // A lone terminator read as the one digit wanted is no answer.
    if (cleared && status !== 'restart' && max === 1 && digits.length === 1 && terminators.includes(digits)) digits = '';
    if (spec.varName !== undefined && digits !== '') ch.setVar(spec.varName, digits);
    done(status, digits);
  };
  const finish = (collected: ReadStatus, terminator: string): void => {
    let status = collected;
    if (terminator !== '') {
      ch.setVar('read_terminator_used', terminator);
      const at = terminators.indexOf(terminator);
      const before = at >= 1 ? terminators[at - 1] : undefined;
      if (before === '+' || before === 'x') {
        digits += terminator;
        if (before === 'x') status = 'restart';
      }
    } else if (terminators.startsWith('=')) status = 'too-small';
    if (min > 0 && digits.length < min) status = 'too-small';
    ch.setVar('read_result', status === 'success' ? 'success' : status === 'timeout' ? 'timeout' : 'failure');
    end(status, true);
  };
  const afterPrompt = (stopped: StopReason | undefined): void => {
    // switch_ivr_play_file fails on a channel no longer ready: nothing more, no read_result.
    if (stopped === 'hangup' || stopped === 'transfer' || ch.isHungUp) return end('false', false);
    // The digit that broke the prompt is the first one read.
    if (stopped === 'break' && ch.digits.length > 0) {
      digits = ch.digits[0] ?? '';
      ch.digits = ch.digits.slice(1);
    }
    if ((min > 0 && digits.length < min) || digits.length < max) {
      collectDigits(deps, ch, app, { digits, max, terminators, firstMs: digits === '' ? spec.timeoutMs : digitTimeout, digitMs: digitTimeout }, (status, read, terminator) => {
        digits = read;
        finish(status, terminator);
      });
    } else finish('success', '');
  };
  if (spec.prompt !== '' && spec.prompt.toLowerCase() !== 'silence') playStoppable(deps, ch, app, spec.prompt, true, afterPrompt);
  else afterPrompt(undefined);
}

interface CollectSpec {
  readonly digits: string;
  readonly max: number;
  readonly terminators: string;
  readonly firstMs: number;
  readonly digitMs: number;
}

/**
 * switch_ivr_collect_digits_count: a terminator already read ends at once; then digits are taken
 * until a terminator (success, not kept) or `max` of them (success), waiting `firstMs`, then
 * `digitMs` from each digit on (timeout); a hangup or transfer is `false`.
 */
function collectDigits(deps: AppDeps, ch: Channel, app: AppHandle, spec: CollectSpec, done: (status: ReadStatus, digits: string, terminator: string) => void): void {
  let digits = spec.digits;
  const held = [...digits].findIndex((d) => spec.terminators.includes(d));
  if (held >= 0) return done('success', digits.slice(0, held), digits[held] ?? '');
  let ended: { terminator: string } | undefined;
  const take = (): boolean => {
    while (ch.digits.length > 0) {
      const d = ch.digits[0] ?? '';
      ch.digits = ch.digits.slice(1);
      if (spec.terminators.includes(d)) {
        ended = { terminator: d };
        return true;
      }
      digits += d;
      if (digits.length >= spec.max) {
        ended = { terminator: '' };
        return true;
      }
    }
    return false;
  };
  const finish = (stopped: StopReason | undefined): void => {
    ch.digitWaiter = undefined;
    if (ended !== undefined) return done('success', digits, ended.terminator);
    done(stopped === undefined ? 'timeout' : 'false', digits, '');
  };
  if (take()) return finish('break');
  const timer = wait(deps, app, spec.firstMs, finish);
  const stop = app.onStop;
  ch.digitWaiter = () => {
    if (ch.isHungUp) return stop?.('hangup');
    if (ch.digits.length === 0) return;
    if (take()) return stop?.('break');
    timer.restart(spec.digitMs);
  };
}
