/**
 * A URL's `scheme://` (RFC 3986's scheme: a letter, then letters, digits, `+`, `.` or `-`), read
 * the one way by what tells a driver from a URL, what finds its user-info and what takes it off.
 * Whitespace is each caller's business: none is skipped here.
 */
const SCHEME_PREFIX = /^[a-z][a-z\d+.-]*:\/\//i;

/** The `scheme://` that `url` starts with, as written (`AMQPS://`), or undefined. */
export function schemePrefix(url: string): string | undefined {
  return SCHEME_PREFIX.exec(url)?.[0];
}
