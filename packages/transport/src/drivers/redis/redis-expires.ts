/**
 * A lane entry's `expires` field, read by the rule every driver applies to its requests' deadlines
 * (../../expires.ts): the field's bytes in, the same refusal out.
 */
import { expiresOf as expiresOfValue, shownExpires as shownValue } from '../../expires.js';

export { expiresRefusal, MIN_EXPIRES_MS } from '../../expires.js';

/** The log line of refused `expires` values (once per burst, with the request's subject and the value). */
export const REFUSED_EXPIRES_LOG = 'redis request whose expires is not epoch milliseconds: refused, not run';

/** The deadline an entry's `expires` field gives: 0 for none (absent or empty), NaN when it is not epoch milliseconds. */
export function expiresOf(raw: Buffer | undefined): number {
  return expiresOfValue(raw?.toString('utf8'));
}

/** The value as shown in the refusal and its log line. */
export function shownExpires(raw: Buffer | undefined): string {
  return shownValue(raw?.toString('utf8') ?? '');
}
