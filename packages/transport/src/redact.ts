/**
 * Credentials never leave a driver: every URL that goes into an error message, a log line or a
 * status event loses its user-info (`amqp://alice:pw@host` → `amqp://***@host`).
 *
 * The rule: after `scheme://`, everything up to the LAST `@` of the URL is masked. The URL ends at
 * whitespace or where the next `scheme://` of a list starts. A password may hold `'`, `"`, `(`,
 * `)`, `,`, `@` and — unencoded, as base64 passwords do — `/`, `?` and `#`, so none of them ends
 * it: `nats://u:s3c/ret@h` → `nats://***@h`. The price is a path's or query's `@` masked with what
 * precedes it (`http://h/x?a=b@c` → `http://***@c`): more is hidden, never a password shown. An
 * empty authority (`ipc:///tmp/x@1.sock`) has no user-info. A comma in a password can't be told
 * from a list separator: `nats://a:pa,ss@h1,nats://h2` → `nats://***@h1,nats://h2`, and
 * `nats://a:b@h1,c:d@h2` → `nats://***@h2` (a host masked with it rather than a password shown).
 * A list cut on commas before it gets here, or a message that lost the host, leaves a `scheme://`
 * piece with no `@` (`nats://alice:pa`): when it is not `host[:port]` (then a path), it is masked
 * to its end (`nats://***`). Without a scheme (Kafka's bootstrap list, a library's message) the
 * user-info is a word up to its last `@`.
 */

/** `scheme://` not preceded by a scheme character (no rescans inside a long word): where a URL of a word starts. */
const URL_START = /(?<![a-z\d+.-])[a-z][a-z\d+.-]*:\/\//gi;

/** `host`, `[v6]`, `*` (ZeroMQ's any) with an optional numeric port, then at most the closing punctuation of a text. */
const PLAIN_AUTHORITY = /^(?:\[[\w:.%]*\]|[\w.~%*-]*)(?::(?:\d+|\*))?(?:[)\]}'"`>.;!][^a-z\d]*)?$/i;

/** A URL, a comma-separated list of them, or a text quoting some (a library's error message), without credentials. */
export function redact(text: string): string {
  return text.replace(/\S+/g, redactWord);
}

function redactWord(word: string): string {
  const starts = [...word.matchAll(URL_START)];
  if (starts.length === 0) return maskBare(word);
  let out = maskBare(word.slice(0, starts[0]!.index));
  for (const [i, start] of starts.entries()) {
    const end = starts[i + 1]?.index ?? word.length;
    out += maskUrl(start[0], word.slice(start.index + start[0].length, end));
  }
  return out;
}

/** Scheme-less text: up to its last `@` is user-info. */
function maskBare(text: string): string {
  const at = text.lastIndexOf('@');
  return at < 0 ? text : `***${text.slice(at)}`;
}

/** One URL of a word: `scheme` (with `://`) and what follows it up to the next URL or the word's end. */
function maskUrl(scheme: string, rest: string): string {
  if (rest.startsWith('/')) return scheme + rest;
  const at = rest.lastIndexOf('@');
  if (at >= 0) return `${scheme}***${rest.slice(at)}`;
  const authority = /^[^/?#,]*/.exec(rest)![0];
  if (PLAIN_AUTHORITY.test(authority)) return scheme + rest;
  // A cut password: all of it goes; a list's comma stays.
  return `${scheme}***${rest.endsWith(',') ? ',' : ''}`;
}
