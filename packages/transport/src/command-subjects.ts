/**
 * The contract's command lanes (SPEC §3.1): what is sent to them runs on arrival. A command
 * published without a reply address (fire and forget: `<p>.cmd.async.<cmd>`, or a request lane
 * used without one) must then never be sent twice, like a request: drivers re-send what a lost
 * connection left unconfirmed only when it does not run on arrival (outbox.ts `runsOnArrival`).
 */

const DOT = 0x2e;
/** a(pi), b(roadcast), c(md), n(ode). */
const LANE_INITIALS = new Set([0x61, 0x62, 0x63, 0x6e]);

/** `<p>.api`, `<p>.api.<id>`, `<p>.node.<id>`, `<p>.broadcast` or `<p>.cmd.async.<cmd…>`, for prefix `<p>`. */
export function isCommandSubject(subject: string, prefix: string): boolean {
  const at = prefix.length + 1;
  if (subject.length <= at || subject.charCodeAt(prefix.length) !== DOT || !subject.startsWith(prefix)) return false;
  // Every event is published through here: `<p>.events.…` leaves at its first letter.
  if (!LANE_INITIALS.has(subject.charCodeAt(at))) return false;
  const rest = subject.slice(at).split('.');
  const [kind, second] = rest;
  if (kind === 'api') return rest.length <= 2;
  if (kind === 'node') return rest.length === 2;
  if (kind === 'broadcast') return rest.length === 1;
  return kind === 'cmd' && second === 'async' && rest.length >= 3;
}
