/**
 * Credentials never leave a driver: every URL that goes into an error message, a log line or a
 * status event loses its user-info (`amqp://alice:pw@host` → `amqp://***@host`).
 *
 * The rule: after `scheme://`, everything up to the LAST `@` before the authority's end (`/`, `?`,
 * `#`, whitespace or the end of the text) is masked. A password may hold `'`, `"`, `(`, `)`, `,` and
 * `@` unencoded, so none of them ends it; `/` does (no `scheme://` inside a user-info), which keeps
 * the URLs of a list apart and a path's or query's `@` (`http://h/x?a=b@c`) as it is. A comma in a
 * password can't be told from a list separator: `nats://a:pa,ss@h1,nats://h2` →
 * `nats://***@h1,nats://h2`, and `nats://a:b@h1,c:d@h2` → `nats://***@h2` (a host masked with it
 * rather than a password shown). A list cut on commas before it gets here leaves a `scheme://`
 * piece with no `@` (`nats://alice:pa`): when it is not `host[:port]` it is masked whole
 * (`nats://***`). Without a scheme (Kafka's bootstrap list, a library's message) the user-info
 * starts at the start of a word.
 */

/** `scheme://` not preceded by a scheme character (no rescans inside a long word), then its user-info up to the last `@` or, lacking one, its authority up to a list comma. */
const SCHEME_URL = String.raw`(?<![a-z\d+.-])([a-z][a-z\d+.-]*:\/\/)(?:([^\s/?#]*@)|([^\s/?#,]*))`;
/** A word (after whitespace or at the start) with an `@` before any `/`, `?` or `#`: scheme-less user-info. */
const BARE_USERINFO = String.raw`(?<=^|\s)[^\s/?#]*@`;
const CREDENTIALS = new RegExp(`${SCHEME_URL}|${BARE_USERINFO}`, 'gi');

/** `host`, `[v6]`, `*` (ZeroMQ's any) with an optional numeric port, then at most the closing punctuation of a text. */
const PLAIN_AUTHORITY = /^(?:\[[\w:.%]*\]|[\w.~%*-]*)(?::(?:\d+|\*))?(?:[)\]}'"`>.;!][^a-z\d]*)?$/i;

/** A URL, a comma-separated list of them, or a text quoting some (a library's error message), without credentials. */
export function redact(text: string): string {
  return text.replace(CREDENTIALS, (match, scheme: string | undefined, userinfo: string | undefined, authority: string | undefined) => {
    if (scheme === undefined) return '***@';
    if (userinfo !== undefined) return `${scheme}***@`;
    return PLAIN_AUTHORITY.test(authority ?? '') ? match : `${scheme}***`;
  });
}
