/**
 * A broker URL whose password holds an unencoded `/`, `?` or `#` (base64 passwords hold `/`)
 * cannot be read as one: URL parsers end the authority there, so `nats://fsbus:s3c/ret@h` is host
 * `fsbus`, port `s3c`, and the driver fails with "Invalid URL". Refused at start, naming the
 * setting, instead.
 *
 * What precedes that `/` must then be no `host[:port]`: `nats://a:4222/path@x` is a host and a
 * path, and stays accepted. So a password cut where it reads as a port (`fsbus:123/ret@h`), or a
 * token before its `/` (`tok/en@h`), is not caught here: the driver's connect error says it, the
 * URL masked whole by redact().
 */
import { redact } from './redact.js';
import { schemePrefix } from './url-scheme.js';

const HOST_PORT = /^(?:\[[\w:.%]*\]|[\w.~%*-]+)(?::\d*)?$/;

/**
 * The characters that end the authority for `driver`. The NATS driver splits the user-info off
 * itself, at the last `@` before the first `/`: `?` and `#` in a password work there.
 */
function authorityEnds(driver: string): RegExp {
  return driver === 'nats' ? /\// : /[/?#]/;
}

/** Whether `url`, for `driver`, has an `@` after where its authority ends, and no host before that end: a password cut in two. */
export function cutUserInfo(url: string, driver: string): boolean {
  // Whitespace before the scheme (an untrimmed setting) is skipped.
  const trimmed = url.trimStart();
  const scheme = schemePrefix(trimmed);
  if (scheme === undefined) return false;
  const rest = trimmed.slice(scheme.length);
  const end = authorityEnds(driver).exec(rest)?.index;
  // `scheme:///path` (ZeroMQ's ipc) has no authority to cut.
  if (end === undefined || end === 0 || !rest.includes('@', end)) return false;
  const authority = rest.slice(0, end);
  return !authority.includes('@') && !HOST_PORT.test(authority);
}

/** Why `url` cannot be used with `driver`, without its secret; undefined when it can. */
export function unencodedUrlProblem(url: string, driver: string): string | undefined {
  if (!cutUserInfo(url, driver)) return undefined;
  const [chars, codes] = driver === 'nats' ? ["a '/'", '/ → %2F'] : ["a '/', '?' or '#'", '/ → %2F, ? → %3F, # → %23'];
  return `${redact(url)}: ${chars} before the last @ ends the host part there (a password holding one?): percent-encode the password (${codes})`;
}
