/**
 * How long an originate is worth waiting for. FreeSWITCH rings for the request's `timeout`
 * (originate_timeout, 60 s when unset) before it reports NO_ANSWER; a wait shorter than that
 * turns a call that is still ringing into a timeout. Agent and SDK use the same rule, so a
 * request without `timeout_ms` waits the ring time plus a grace for FreeSWITCH's own answer.
 */

/** FreeSWITCH's originate_timeout when the request sets none. */
export const FREESWITCH_ORIGINATE_TIMEOUT_S = 60;
/** Time left for the BACKGROUND_JOB to arrive after the ring timeout expired. */
export const ORIGINATE_GRACE_MS = 5000;

/** The wait for an originate ringing `ringTimeoutS` (a valid 1–3600 s value, else FreeSWITCH's default), at least `floorMs`. */
export function originateWaitMs(ringTimeoutS: unknown, floorMs: number): number {
  const ring = typeof ringTimeoutS === 'number' && Number.isInteger(ringTimeoutS) && ringTimeoutS >= 1 && ringTimeoutS <= 3600 ? ringTimeoutS : FREESWITCH_ORIGINATE_TIMEOUT_S;
  return Math.max(floorMs, ring * 1000 + ORIGINATE_GRACE_MS);
}
