/** DriverOptions → amqplib URL + socket options (credentials, heartbeat, TLS, client name) and the subjects published persistent. */
import { readTlsMaterial } from '../../tls-material.js';
import type { DriverOptions } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { assertPattern, subjectMatches } from '../../subject-pattern.js';

/** Heartbeat asked of the broker, in seconds (a dead peer is noticed within ~2 of these). @default 10 */
export const DEFAULT_HEARTBEAT_S = 10;

/** One URL with the options' user/password (URL-encoded) and a heartbeat unless it names one. */
export function amqpUrl(raw: string, options: DriverOptions): string {
  const u = new URL(raw);
  const auth = options.auth;
  if (auth?.user !== undefined && auth.user !== '') u.username = encodeURIComponent(auth.user);
  if (auth?.password !== undefined && auth.password !== '') u.password = encodeURIComponent(auth.password);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(DEFAULT_HEARTBEAT_S));
  return u.toString();
}

export function amqpSocketOptions(options: DriverOptions, timeoutMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    timeout: timeoutMs,
    noDelay: true,
    clientProperties: { connection_name: options.name ?? 'fsbus' },
  };
  const t = options.tls;
  if (typeof t === 'object') {
    const { ca, cert, key } = readTlsMaterial(t);
    if (ca !== undefined) out['ca'] = [ca];
    if (cert !== undefined) out['cert'] = cert;
    if (key !== undefined) out['key'] = key;
  }
  return out;
}

/** `tls: true|{…}` turns `amqp://` into `amqps://`. */
export function withTlsScheme(url: string, options: DriverOptions): string {
  if (options.tls === undefined || options.tls === false) return url;
  return url.replace(/^amqp:\/\//i, 'amqps://');
}

/**
 * A contract subject pattern as an AMQP topic binding key (`*` is the same; `>` → `*.#`). `>` is one
 * or more tokens, AMQP's `#` zero or more (`a.#` matches `a`): `*.#` takes at least one, as NATS does.
 */
export function bindingKey(pattern: string): string {
  return pattern
    .split('.')
    .map((t) => (t === '>' ? '*.#' : t))
    .join('.');
}

/**
 * Whether a publish to `subject` goes out persistent (`DriverOptions.persistentSubjects`), or
 * undefined when none does (the driver then asks nothing per publish). A pattern that is not one
 * (`#`, an empty token) is refused when the driver is created: it would silently match nothing.
 */
export function persistentMatcher(options: DriverOptions): ((subject: string) => boolean) | undefined {
  const patterns = options.persistentSubjects ?? [];
  for (const p of patterns) {
    try {
      assertPattern(p, '#');
    } catch {
      throw new TransportError(TransportErrorCode.INVALID_OPTION, `persistentSubjects: ${JSON.stringify(p)} is not a subject pattern (dot-separated tokens, * for one token, > for the rest)`);
    }
  }
  if (patterns.length === 0) return undefined;
  return (subject) => patterns.some((p) => subjectMatches(p, subject));
}
