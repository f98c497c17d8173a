/**
 * Hangup causes taken from requests (hangup, dialplan.timeout). FreeSWITCH reads a cause it does
 * not know as NORMAL_CLEARING without a word, so an unknown one is refused (by the agent, and by
 * `fsbus hangup` before it connects); a name in any case or a number is FreeSWITCH's own spelling
 * (switch_channel_str2cause) and is passed on as the canonical name.
 */
import { hangupCauseName } from '@fsbus/esl';

export const BAD_CAUSE = 'cause must be a FreeSWITCH hangup cause: a name such as NORMAL_CLEARING, USER_BUSY, CALL_REJECTED (any case) or its number';

/** The canonical cause name, or undefined when `value` is not one (NONE, 0: not a cause to hang up with). */
export function hangupCause(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  const name = typeof text === 'string' && text.length <= 64 ? hangupCauseName(text) : undefined;
  return name === 'NONE' ? undefined : name;
}
