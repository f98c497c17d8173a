/**
 * How long an originate is worth waiting for: as long as FreeSWITCH may keep it going, plus a
 * grace for its BACKGROUND_JOB; a shorter wait turns a call that is still ringing into a
 * timeout. Agent and SDK use the same rule, so a request without `timeout_ms` waits the same on
 * both sides. What switch_ivr_originate.c does:
 *
 * - Each `|` failover group rings up to originate_timeout (the `timeout` field, 60 s unset).
 *   A longer leg_timeout does not outlast it, except with fail_on_single_reject=<causes>,
 *   where the group's timeout check is skipped and leg_timeout is what ends the ring: the longer
 *   of the two is counted.
 * - originate_retries is the number of attempts (1–100; 1 unset); a failed attempt that did not
 *   time out is tried again, every group of it. Each retry first waits until
 *   originate_retry_min_period_ms (500–300000, 1000 unset) has passed since the previous one
 *   started, less the sleep, then sleeps originate_retry_sleep_ms (500–60000, 1000 unset)
 *   before each group.
 * - Enterprise legs (`a:_:b`) ring side by side: the longest counts.
 *
 * FreeSWITCH ignores values outside those ranges; the agent refuses them instead, and refuses
 * an originate that could ring for more than ORIGINATE_MAX_RING_S in all.
 */

/** FreeSWITCH's originate_timeout when the request sets none. */
export const FREESWITCH_ORIGINATE_TIMEOUT_S = 60;
/** Time left for the BACKGROUND_JOB to arrive after the ring timeout expired. */
export const ORIGINATE_GRACE_MS = 5000;
/** The longest an originate may ring, every attempt and sleep included: the `timeout` field's own bound. */
export const ORIGINATE_MAX_RING_S = 3600;

interface RangeRule {
  readonly min: number;
  readonly max: number;
  readonly unit: string;
}

/** The variables that lengthen an originate, by lowercased name (FreeSWITCH matches any case). */
const RING_VARIABLES: Readonly<Record<string, RangeRule>> = {
  // FreeSWITCH takes any positive value; bounded like the `timeout` field.
  leg_timeout: { min: 1, max: ORIGINATE_MAX_RING_S, unit: 'seconds' },
  originate_retries: { min: 1, max: 100, unit: 'attempts' },
  originate_retry_sleep_ms: { min: 500, max: 60_000, unit: 'milliseconds' },
  originate_retry_min_period_ms: { min: 500, max: 300_000, unit: 'milliseconds' },
};

/** FreeSWITCH's sleep and min period between attempts when unset. */
const FREESWITCH_RETRY_SLEEP_MS = 1000;

export type OriginateRing = { readonly ms: number } | { readonly error: string };

function integerIn(value: unknown, rule: { min: number; max: number }): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= rule.min && n <= rule.max ? n : undefined;
}

/** The most `|` groups any enterprise leg (`:_:`) dials one after the other. */
function failoverGroups(endpoint: unknown): number {
  if (typeof endpoint !== 'string') return 1;
  return Math.max(...endpoint.split(':_:').map((leg) => leg.split('|').length));
}

/**
 * The longest FreeSWITCH may take over an originate's request fields (`endpoint`, `timeout`,
 * `variables`), or why it is refused: a ring variable out of its range, or more than
 * ORIGINATE_MAX_RING_S in all.
 */
export function originateRingMs(fields: Readonly<Record<string, unknown>>): OriginateRing {
  let ringS = FREESWITCH_ORIGINATE_TIMEOUT_S;
  // null counts as absent, as in every request field, and so does 0 (a Go or protobuf client's
  // unset one: the agent leaves it off the originate line, FreeSWITCH's own ring time applies).
  const timeoutField = fields['timeout'] === 0 ? undefined : (fields['timeout'] ?? undefined);
  if (timeoutField !== undefined) {
    // A JSON number, as the agent takes it (variables may also be strings: they are text in FreeSWITCH).
    const timeout = typeof timeoutField === 'number' ? integerIn(timeoutField, { min: 1, max: ORIGINATE_MAX_RING_S }) : undefined;
    if (timeout === undefined) return { error: `timeout must be an integer number of seconds (1-${ORIGINATE_MAX_RING_S})` };
    ringS = timeout;
  }
  // The largest of a name given twice (in two cases): whichever FreeSWITCH keeps is covered.
  const found: Record<string, number> = {};
  const variables = fields['variables'];
  if (typeof variables === 'object' && variables !== null) {
    for (const [name, raw] of Object.entries(variables as Record<string, unknown>)) {
      const key = name.toLowerCase();
      const rule = RING_VARIABLES[key];
      if (rule === undefined) continue;
      const value = integerIn(raw, rule);
      if (value === undefined) return { error: `variable ${name} must be an integer number of ${rule.unit} (${rule.min}-${rule.max})` };
      found[key] = Math.max(found[key] ?? 0, value);
    }
  }
  const groupS = Math.max(ringS, found['leg_timeout'] ?? 0);
  const attempts = found['originate_retries'] ?? 1;
  const sleepMs = found['originate_retry_sleep_ms'] ?? FREESWITCH_RETRY_SLEEP_MS;
  const minPeriodMs = found['originate_retry_min_period_ms'] ?? FREESWITCH_RETRY_SLEEP_MS;
  const groups = failoverGroups(fields['endpoint']);
  const betweenMs = (attempts - 1) * (Math.max(sleepMs, minPeriodMs) + (groups - 1) * sleepMs);
  const ms = attempts * groups * groupS * 1000 + betweenMs;
  if (ms <= ORIGINATE_MAX_RING_S * 1000) return { ms };
  const factors = [...(attempts > 1 ? [`${attempts} attempts`] : []), ...(groups > 1 ? [`${groups} failover groups`] : []), `${groupS} s`].join(' × ');
  const between = betweenMs > 0 ? `, plus ${Math.ceil(betweenMs / 1000)} s between attempts` : '';
  return { error: `the originate could ring for up to ${Math.ceil(ms / 1000)} s (${factors}${between}): at most ${ORIGINATE_MAX_RING_S} s` };
}

/** The wait for an originate with these request fields: originateRingMs + the grace, at least `floorMs`. */
export function originateWaitMs(fields: Readonly<Record<string, unknown>>, floorMs: number): number {
  const ring = originateRingMs(fields);
  // A refused request is answered at once: FreeSWITCH's default is as good a wait as any.
  const ringMs = 'ms' in ring ? ring.ms : FREESWITCH_ORIGINATE_TIMEOUT_S * 1000;
  return Math.max(floorMs, ringMs + ORIGINATE_GRACE_MS);
}
