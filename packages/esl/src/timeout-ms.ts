/** The one check of every timeout the library takes (request, wait, connect). */
import { MAX_TIMER_MS } from './backoff.js';
import { EslInvalidArgumentError } from './errors.js';

/**
 * Returns `ms` when it is 0 or Infinity (no timeout) or in (0, MAX_TIMER_MS]. Longer would not
 * wait longer: Node fires such a timer after 1 ms, failing the request at once.
 * @param label the request, named in the message (built only when it fails: requests are hot)
 * @throws EslInvalidArgumentError naming `name`
 */
export function checkTimeoutMs(name: string, ms: number, label?: string): number {
  if (ms === Number.POSITIVE_INFINITY || (ms >= 0 && ms <= MAX_TIMER_MS)) return ms;
  const what = label === undefined ? name : `${label}: ${name}`;
  throw new EslInvalidArgumentError(`${what} must be 0 (no timeout), Infinity or a number of milliseconds up to ${MAX_TIMER_MS}, not ${String(ms)}`);
}
