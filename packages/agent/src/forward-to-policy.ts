/**
 * `commands.forward_to`: the subjects an operator lets the agent forward replies to. The agent
 * publishes a forward_to copy with its own broker permissions, so without a list a requester can
 * make it publish text of its own where the broker forbids the requester to (docs/contract.md,
 * Security). Patterns are NATS-style: dotted tokens, `*` one token, `>` one or more at the end.
 */
import { isPublishableSubject } from '@fsbus/contract';
import { subjectMatches } from '@fsbus/transport';

/** Why `pattern` is not a subject pattern (a config refusal), or undefined. */
export function forwardToPatternProblem(pattern: string): string | undefined {
  const tokens = pattern.split('.');
  const last = tokens.length - 1;
  const wildcardsOk = tokens.every((t, i) => t === '*' || (t === '>' && i === last) || !/[*>]/.test(t));
  // The pattern with its wildcards as plain tokens must be a subject (same characters, length, no empty token).
  if (!wildcardsOk || !isPublishableSubject(tokens.map((t) => (t === '*' || t === '>' ? 'x' : t)).join('.'))) {
    return `'${pattern}' is not a subject pattern: dot-separated tokens of letters, digits, _, $, : and -, a token * (any one token) or a last token > (one or more), e.g. fwd.> or ivr.*.results`;
  }
  return undefined;
}

/** True when `subject` matches one of `patterns` (checked by forwardToPatternProblem), as every driver matches. */
export function forwardToAllowed(patterns: readonly string[], subject: string): boolean {
  return patterns.some((pattern) => subjectMatches(pattern, subject));
}

/** The refusal of a forward_to no pattern matches. */
export function forwardToNotListed(subject: string): string {
  return `forward_to may not target ${subject}: this agent forwards only to the subjects commands.forward_to lists`;
}
