/**
 * play_and_get_digits <min> <max> <tries> <timeout> <terminators> <file> <invalid_file> [<var>
 * [<regexp> [<digit_timeout> [<transfer_on_failure>]]]] (mod_dptools play_and_get_digits_function,
 * switch_play_and_get_digits): each try is a switch_ivr_read (read-digits.ts); a wrong answer
 * plays the invalid file, and once the tries are over transfer_on_failure (`<ext> [<dialplan>
 * [<context>]]`) transfers the channel.
 */
import type { Channel } from './channel.js';
import type { AppHandle } from './executor.js';
import type { AppDeps } from './apps.js';
import { LOG_ERR, site } from './constants.js';
import { atoi } from './c-num.js';
import { switchSeparateString } from './separate-string.js';
import { ivrRead, playStoppable } from './read-digits.js';
import type { ReadStatus } from './read-digits.js';

const APP_SITE = (line: number) => site('mod_dptools.c', 'play_and_get_digits_function', line);
const FAILURE_SITE = site('switch_ivr_play_say.c', 'switch_play_and_get_digits', 2734);
const BUFFER_TOO_SMALL_SITE = site('switch_ivr_play_say.c', 'switch_ivr_read', 2546);
/** play_and_get_digits_function's `char digit_buffer[128]`: switch_ivr_read refuses a larger max. */
const DIGIT_BUFFER_LENGTH = 128;

/**
 * The arguments as play_and_get_digits_function reads them: atoi; min below 0 is 0, max below min
 * is min, tries unsigned (missing: 0, nothing runs), a timeout up to 1000 ms (or missing) is
 * 1000, no terminators `#`, digit_timeout below 0 is 0.
 */
export function playAndGetDigits(deps: AppDeps, ch: Channel, data: string, done: () => void, app: AppHandle): void {
  const x = deps.executor;
  const argv = data.trim() === '' ? [] : switchSeparateString(data, ' ', 11);
  if (argv.length === 0) {
    x.engine.log(ch, 3, APP_SITE(2843), 'No arguments specified.');
    return done();
  }
  const min = Math.max(0, atoi(argv[0] ?? ''));
  const max = Math.max(min, atoi(argv[1] ?? '0'));
  let tries = atoi(argv[2] ?? '0') >>> 0;
  const timeoutMs = Math.max(1000, atoi(argv[3] ?? '0'));
  const [, , , , terminators, prompt = '', invalidFile = '', varName, regexText, digitTimeout, onFailure] = argv;
  const regex = regexText === undefined ? undefined : digitsRegex(regexText);
  if (onFailure !== undefined) x.engine.log(ch, 7, APP_SITE(2887), `Transfer on failure = [${onFailure}].`);
  if (regexText !== undefined && varName !== undefined) ch.setVar(`${varName}_invalid`, undefined);
  const spec = { min, max, prompt, varName, timeoutMs, terminators: terminators || '#', digitTimeoutMs: Math.max(0, atoi(digitTimeout ?? '0')) };
  // switch_channel_ready: a transfer or a park (CF_TRANSFER) ends the tries as a hangup does.
  const ready = (): boolean => !ch.isHungUp && ch.transferTo === undefined && !ch.parkPending;
  const failed = (): void => {
    if (onFailure !== undefined) {
      const [ext, dialplan, context] = switchSeparateString(onFailure, ' ', 4);
      x.engine.log(ch, 4, FAILURE_SITE, `PAGD failure! Transfer to: ${ext ?? '(null)'} / ${dialplan ?? '(null)'} / ${context ?? '(null)'}`);
      x.transfer(ch, ext, dialplan, context);
    }
    done();
  };
  const onRead = (status: ReadStatus, digits: string): void => {
    if (status === 'restart') return done();
    const answered = status === 'success' || (status === 'timeout' && digits.length >= min);
    // A stale read_terminator_used (switch_ivr_read never clears it) makes no digits an answer when none are needed.
    if (min === 0 && digits === '' && ch.getVar('read_terminator_used') !== undefined) return done();
    if (answered && digits !== '') {
      if (regexText === undefined || regex?.test(digits) === true) return done();
      if (varName !== undefined) {
        ch.setVar(varName, undefined);
        ch.setVar(`${varName}_invalid`, digits);
      }
    }
    if (!ready()) return failed();
    playStoppable(deps, ch, app, invalidFile, false, () => {
      tries--;
      attempt();
    });
  };
  const attempt = (): void => {
    if (!ready() || tries === 0) return failed();
    if (max > DIGIT_BUFFER_LENGTH) {
      // switch_ivr_read clears both, then finds the buffer too small: no prompt, no digits, a wrong answer.
      ch.setVar('read_result', undefined);
      if (varName !== undefined) ch.setVar(varName, undefined);
      x.engine.log(ch, LOG_ERR, BUFFER_TOO_SMALL_SITE, 'Buffer too small!');
      return onRead('false', '');
    }
    ivrRead(deps, ch, app, spec, onRead);
  };
  attempt();
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
