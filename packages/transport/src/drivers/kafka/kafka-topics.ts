/**
 * Contract subjects → Kafka topics. Kafka has no subject wildcards and topics are heavy (files,
 * partitions), so a subject maps to the topic of its ROOT — the namespace (the agent's prefix,
 * `freeswitch`) plus one name — and travels in the `fsbus-subject` header; wildcard subscriptions
 * read the root's topic and match the header:
 *   `<p>.events.<name…>`            → `<p>.events`    (key = channel uuid)
 *   `<p>.cmd.async.<cmd…>`          → `<p>.cmd.async`
 *   `<p>.node.<id>`, `<p>.api.<id>` → the subject itself (a topic per node)
 *   `<p>.api`, `<p>.broadcast`      → the subject itself
 *   `<p>.<name>.<more…>`            → `<p>.<name>`
 * A subject outside the namespace takes its first token as the namespace. Topic names allow
 * `[a-zA-Z0-9._-]` (≤ 249 chars): contract subjects already fit.
 */

/** Header names, also documented in docs/drivers/kafka.md for clients in other languages. */
export const KafkaHeader = {
  SUBJECT: 'fsbus-subject',
  REPLY_TO: 'fsbus-reply-to',
  CORRELATION_ID: 'fsbus-correlation-id',
  /** Epoch milliseconds after which nobody waits for the reply any more. */
  EXPIRES: 'fsbus-expires',
  /** Set by the driver itself: becomes the record key, not a header. */
  KEY: 'fsbus-key',
} as const;

const TOKEN_RE = /^[A-Za-z0-9_-]+$/;
const isWild = (t: string): boolean => t === '*' || t === '>';

export function isValidSubject(subject: string): boolean {
  return subject.length <= 249 && subject.split('.').every((t) => TOKEN_RE.test(t));
}

/** isValidSubject in words (the zmq driver keeps the same rule): why a subject is refused. */
export const SUBJECT_RULE = 'a subject is at most 249 characters, dot-separated tokens of [A-Za-z0-9_-]';

/** How many tokens of `tokens` name the topic (undefined: a wildcard sits inside them). */
function rootLength(tokens: readonly string[], namespace: string | undefined): number | undefined {
  const ns = namespace?.split('.');
  const head = ns !== undefined && ns.length < tokens.length && ns.every((t, i) => tokens[i] === t) ? ns.length : 1;
  const kind = tokens[head];
  let len: number;
  if (kind === undefined) len = head;
  else if (kind === 'cmd' && tokens[head + 1] === 'async' && tokens.length > head + 2) len = head + 2;
  else if ((kind === 'node' || kind === 'api') && tokens.length === head + 2) len = head + 2;
  else len = head + 1;
  return tokens.slice(0, len).some(isWild) ? undefined : len;
}

/** The topic a concrete subject is produced to; undefined when the subject can never be sent. */
export function topicFor(subject: string, namespace?: string): string | undefined {
  if (!isValidSubject(subject)) return undefined;
  const tokens = subject.split('.');
  return tokens.slice(0, rootLength(tokens, namespace)).join('.');
}

/**
 * The topic a subscription pattern reads: its wildcards must come after the root
 * (`<p>.events.>`, `<p>.events.channel.*`, `<p>.cmd.async.>`, `<p>.results.*`).
 * Undefined when Kafka cannot serve the pattern (`>`, `<p>.*.x`, `<p>.node.*`).
 */
export function topicForPattern(pattern: string, namespace?: string): string | undefined {
  const tokens = pattern.split('.');
  if (tokens.some((t, i) => (t === '>' && i !== tokens.length - 1) || (!isWild(t) && !TOKEN_RE.test(t)))) return undefined;
  if (!tokens.some(isWild)) return topicFor(pattern, namespace);
  // rootLength refuses `<p>.node.*`: that would be a topic per node, not one topic to read.
  const len = rootLength(tokens, namespace);
  // `<p>.cmd.>` and `<p>.cmd.*.x` match `<p>.cmd.async.<cmd>` too, which lives in topic
  // `<p>.cmd.async`: reading `<p>.cmd` alone would miss those without a word.
  if (len !== undefined && tokens[len - 1] === 'cmd' && (tokens[len] === '>' || (tokens[len] === '*' && tokens.length > len + 1))) return undefined;
  return len === undefined ? undefined : tokens.slice(0, len).join('.');
}
