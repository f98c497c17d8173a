/**
 * What switch_ivr_originate writes on the channel dialling (the bridge application's caller):
 * originate_disposition and DIALSTATUS, at the start, after each failover group that fails, and
 * when a leg is taken. `api originate` has no caller and writes none of them.
 */
import type { Channel } from './channel.js';

/** DIALSTATUS for a failed originate: a few causes have a word of their own, the others their name. */
const DIALSTATUS_OF: Readonly<Record<string, string>> = {
  ORIGINATOR_CANCEL: 'CANCEL',
  USER_BUSY: 'BUSY',
  NO_ANSWER: 'NOANSWER',
  DESTINATION_OUT_OF_ORDER: 'INVALIDARGS',
  INVALID_PROFILE: 'INVALIDARGS',
  CALL_REJECTED: 'DONTCALL',
};

export function dialStatus(cause: string): string {
  return DIALSTATUS_OF[cause] ?? cause;
}

/** Before any leg is created: what the caller reads while the legs ring. */
export function noteOriginateStart(caller: Channel | undefined): void {
  if (caller === undefined) return;
  caller.setVar('originate_disposition', 'failure');
  caller.setVar('DIALSTATUS', 'INVALIDARGS');
}

/** A group (or the whole originate, when cancelled) failed with `cause`. */
export function noteOriginateFailure(caller: Channel | undefined, cause: string): void {
  if (caller === undefined) return;
  caller.setVar('originate_disposition', cause);
  caller.setVar('DIALSTATUS', dialStatus(cause));
}

/**
 * A leg was taken. FreeSWITCH 1.10.12 writes EARLY when that leg is answered and ANSWER when it
 * is not (taken on early media) — that way round in its source; the simulator takes answered legs only.
 */
export function noteOriginateSuccess(caller: Channel | undefined, leg: Channel): void {
  if (caller === undefined) return;
  caller.setVar('originate_disposition', 'call accepted');
  caller.setVar('DIALSTATUS', leg.answerState === 'answered' ? 'EARLY' : 'ANSWER');
}
