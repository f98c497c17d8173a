/**
 * Reply subjects nobody can work out. A NATS reply subject is an address any client may name (the
 * agent sends a `forward_to` copy of a reply to it), so the token that tells one request's reply
 * from the next must not follow from one seen: a counter or a nuid (a fixed prefix plus a sequence
 * that grows by a fixed step) would let a client answer another's pending request. 96 random bits
 * per token, drawn from a pool filled 256 tokens at a time (one getrandom call, not one per request).
 */
import { randomFillSync } from 'node:crypto';

const TOKEN_BYTES = 12;
const POOL_TOKENS = 256;
const pool = Buffer.allocUnsafe(TOKEN_BYTES * POOL_TOKENS);
let offset = pool.length;

/** 16 characters of `[A-Za-z0-9_-]`: one subject token on every broker. */
export function replyToken(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return token;
}

/** At most this long: room for `.<nuid>.<token>` and more under the 255 characters a forward_to may have. */
export const MAX_INBOX_PREFIX_LENGTH = 64;

/**
 * Why `prefix` cannot root this connection's reply subjects, or undefined: dot-separated tokens of
 * `[A-Za-z0-9_-]` (no wildcard, no `$` namespace, nothing a broker's subject rules refuse).
 */
export function inboxPrefixProblem(prefix: string): string | undefined {
  if (prefix.length > MAX_INBOX_PREFIX_LENGTH) return `must be at most ${MAX_INBOX_PREFIX_LENGTH} characters, got ${prefix.length}`;
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) return 'must be dot-separated tokens of letters, digits, _ and - (e.g. _INBOX_alice)';
  return undefined;
}
