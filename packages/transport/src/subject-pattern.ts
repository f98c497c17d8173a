/** Subject patterns as every driver reads them: NATS semantics (`*` one token, `>` one or more). */
import { TransportError, TransportErrorCode } from './errors.js';

/** NATS-style match: `*` one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const t = p[i]!;
    if (t === '>') return s.length > i;
    if (i >= s.length) return false;
    if (t !== '*' && t !== s[i]) return false;
  }
  return p.length === s.length;
}

/**
 * Throws FSBUS_ERR_TRANSPORT_UNSUPPORTED for a pattern no broker can subscribe to: an empty token,
 * white space, `*` or `>` inside a token, `>` before the last token; `forbidden` adds the
 * characters the driver's broker reserves (MQTT `/+#`, AMQP `#`), `maxBytes` its length limit.
 */
export function assertPattern(pattern: string, forbidden = '', maxBytes = Infinity): void {
  const tokens = pattern.split('.');
  const bad = tokens.some((t, i) => {
    if (t === '*') return false;
    if (t === '>') return i !== tokens.length - 1;
    return t === '' || /[\s*>]/.test(t) || [...forbidden].some((c) => t.includes(c));
  });
  if (bad || Buffer.byteLength(pattern) > maxBytes) {
    throw new TransportError(TransportErrorCode.UNSUPPORTED, `invalid subject pattern '${pattern}'`);
  }
}

/**
 * Whether `pattern` matches every subject `space` (itself a pattern) can match: `a.>` covers
 * `a.b.>` and `a.*`; `a.*` does not cover `a.>` (`a.b.c`).
 */
export function patternCovers(pattern: string, space: string): boolean {
  const p = pattern.split('.');
  const s = space.split('.');
  for (let i = 0; i < p.length; i++) {
    const t = p[i]!;
    if (t === '>') return s.length > i;
    if (i >= s.length || s[i] === '>') return false;
    if (t !== '*' && t !== s[i]) return false;
  }
  return p.length === s.length;
}
