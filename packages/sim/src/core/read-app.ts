/**
 * `read <min> <max> <file> <var_name> <timeout> <terminators> <digit_timeout>` (mod_dptools
 * read_function, FreeSWITCH 1.10.12): one switch_ivr_read (read-digits.ts) into a 128-byte buffer.
 */
import type { Channel } from './channel.js';
import type { AppHandle } from './executor.js';
import type { AppDeps } from './apps.js';
import { LOG_ERR, site } from './constants.js';
import { atoi } from './c-num.js';
import { switchSeparateString } from './separate-string.js';
import { ivrRead } from './read-digits.js';

/** read_function's `char digit_buffer[128]`. */
const DIGIT_BUFFER_LENGTH = 128;
const NO_ARGUMENTS_SITE = site('mod_dptools.c', 'read_function', 2772);
const BUFFER_TOO_SMALL_SITE = site('switch_ivr_play_say.c', 'switch_ivr_read', 2546);

/**
 * The arguments as read_function reads them: atoi; min up to 1 is 1, max below min is min, a
 * timeout up to 1000 ms (or none) is 1000, no terminators `#`, digit_timeout below 0 is 0.
 */
export function readApp(deps: AppDeps, ch: Channel, data: string, done: () => void, app: AppHandle): void {
  const e = deps.executor.engine;
  const argv = data.trim() === '' ? [] : switchSeparateString(data, ' ', 7);
  if (argv.length === 0) {
    e.log(ch, LOG_ERR, NO_ARGUMENTS_SITE, 'No arguments specified.');
    return done();
  }
  const [minText = '', maxText, prompt = '', varName, timeoutText, terminators, digitTimeoutText] = argv;
  const min = Math.max(1, atoi(minText));
  const max = Math.max(min, maxText === undefined ? 0 : atoi(maxText));
  const timeoutMs = Math.max(1000, timeoutText === undefined ? 0 : atoi(timeoutText));
  const digitTimeoutMs = Math.max(0, atoi(digitTimeoutText ?? ''));
  if (max > DIGIT_BUFFER_LENGTH) {
    // switch_ivr_read clears both before it finds the buffer too small, and reads nothing.
    ch.setVar('read_result', undefined);
    if (varName !== undefined) ch.setVar(varName, undefined);
    e.log(ch, LOG_ERR, BUFFER_TOO_SMALL_SITE, 'Buffer too small!');
    return done();
  }
  // Its prompt (switch_ivr_play_file) and digit collection parse the channel's messages.
  app.acceptsMessages = true;
  ivrRead(deps, ch, app, { min, max, prompt, varName, timeoutMs, terminators: terminators || '#', digitTimeoutMs }, () => done());
}
