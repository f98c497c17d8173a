/**
 * Hangup causes taken from requests (hangup, dialplan.timeout). FreeSWITCH reads a cause it does
 * not know as NORMAL_CLEARING without a word, so an unknown one is refused here; a name in any
 * case or a number is FreeSWITCH's own spelling (switch_channel_str2cause) and is passed on as
 * the canonical name.
 */
import { hangupCauseName } from '@fsbus/esl';

export const BAD_CAUSE = 'cause must be a FreeSWITCH hangup cause: a name such as NORMAL_CLEARING, USER_BUSY, CALL_REJECTED (any case) or its number';

/** The canonical cause name, or undefined when `value` is not one. */
export function hangupCause(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 64 ? hangupCauseName(value) : undefined;
}
