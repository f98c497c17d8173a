/**
 * `commands.reply_to`: the reply addresses an operator lets the agent answer to. On NATS and MQTT
 * the requester picks the address (a reply subject, a Response Topic) and the agent publishes the
 * reply there with its own broker permissions; a reply can carry the requester's own text (`echo`),
 * so without a list a requester can make the agent publish where the broker forbids the requester
 * to (docs/contract.md, Security). The other drivers answer only in their own reply space (Redis
 * `<ns>:reply:<id>`, Kafka `fsbus.inbox.<name>`, RabbitMQ direct reply-to, ZeroMQ the request's
 * own connection). Patterns are forward_to's (forward-to-policy.ts): NATS-style subjects.
 */
import { isPublishableSubject } from '@fsbus/contract';
import { subjectMatches } from '@fsbus/transport';

export { forwardToPatternProblem as replyToPatternProblem } from './forward-to-policy.js';

/** The drivers whose requester names any reply address: those commands.reply_to bounds. */
export const REPLY_TO_DRIVERS: readonly string[] = ['nats', 'mqtt'];

/** The warning (once per burst, with the request's subject and reply address) of a refused request. */
export const REPLY_TO_REFUSED_LOG = 'request refused: its reply address is not one commands.reply_to lists';

/** Why commands.reply_to cannot be set with `driver` (a config refusal), or undefined. */
export function replyToDriverProblem(driver: string, patterns: readonly string[]): string | undefined {
  if (patterns.length === 0 || REPLY_TO_DRIVERS.includes(driver)) return undefined;
  return `the ${driver} driver answers only in its own reply space, which its requesters cannot move: commands.reply_to bounds the nats and mqtt drivers' reply addresses (leave it unset)`;
}

/**
 * `address` as the patterns read it: a NATS reply subject as it is; an MQTT Response Topic as the
 * subject whose topic the driver would make of it, undefined for a topic no subject maps to. The
 * driver maps a subject `.` → `/`, but writes its own reply topics with the namespace (`prefix`,
 * the agent's subject_prefix) as one level, dots kept: `pbx.eu1/reply/<client id>` is read as
 * `pbx.eu1.reply.<client id>`. A `.` in any other level is one no subject maps to
 * (`freeswitch.reply.x` is one level, not `freeswitch/reply/x`).
 */
export function replySubject(driver: string, address: string, prefix: string | undefined): string | undefined {
  if (driver !== 'mqtt') return address;
  const own = prefix !== undefined && address.startsWith(`${prefix}/`);
  const rest = own ? address.slice(prefix.length + 1) : address;
  if (rest.includes('.')) return undefined;
  const subject = rest.split('/').join('.');
  return own ? `${prefix}.${subject}` : subject;
}

/**
 * True when the reply address `address` matches one of `patterns` (empty: any the driver takes).
 * `prefix`: the agent's subject_prefix, the MQTT driver's namespace (replySubject). An address
 * whose subject form is not a publishable subject is refused before matching: the patterns would
 * take a wildcard or an empty token in it for plain text (`_INBOX.>`, `_INBOX..x`,
 * `freeswitch/reply/` all "match" `_INBOX.>` / `freeswitch.reply.>`).
 */
export function replyToAllowed(patterns: readonly string[], driver: string, address: string, prefix: string | undefined): boolean {
  if (patterns.length === 0) return true;
  const subject = replySubject(driver, address, prefix);
  return subject !== undefined && isPublishableSubject(subject) && patterns.some((pattern) => subjectMatches(pattern, subject));
}
