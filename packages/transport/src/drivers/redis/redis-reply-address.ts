/**
 * Which `reply_to` of a lane entry a server writes its reply into. The reply is `XADD` + `PEXPIRE`
 * on that key (REPLY_SCRIPT), and whoever can write a lane stream chooses it: a key of the bus's
 * own (its lane stream, a serving set) would get an entry and an expiry, or fail with WRONGTYPE.
 * Only the bus's reply streams are taken (docs/drivers/redis.md): `<ns>:reply:<id>`, `<id>` one
 * segment of 1–64 letters, digits, `-` or `_` (the driver's own: 16 hex digits; clients in other
 * languages: a UUID's 32, `interop-<8 hex>` in examples/interop).
 */

/** The log line of refused reply addresses (once per burst, with the request's subject and the address). */
export const REFUSED_REPLY_ADDRESS_LOG = "redis request whose reply_to is not a reply stream (<ns>:reply:<id>, [A-Za-z0-9_-], at most 64 characters): skipped, not run";

/** A refused address is logged cut to this many characters: it is whatever the lane's writer put there. */
const LOGGED_ADDRESS_CHARS = 300;

/** `<ns>:reply:<id>`: the stream a requester reads its replies from. */
export function replyStreamKey(ns: string, id: string): string {
  return `${ns}:reply:${id}`;
}

export class ReplyAddresses {
  readonly #pattern: RegExp;
  readonly #refuse: (fields: Record<string, unknown>) => void;

  /** `refuse` counts and logs a refused request (DriverCore.requestRefusal). */
  constructor(ns: string, refuse: (fields: Record<string, unknown>) => void) {
    this.#pattern = new RegExp(`^${escapeRegExp(ns)}:reply:[A-Za-z0-9_-]{1,64}$`);
    this.#refuse = refuse;
  }

  /** True when `replyTo` is set and not one of the bus's reply streams: counted and logged. */
  refuses(subject: string, replyTo: string | undefined): boolean {
    if (replyTo === undefined || this.#pattern.test(replyTo)) return false;
    this.#refuse({ subject, reply_to: replyTo.slice(0, LOGGED_ADDRESS_CHARS) });
    return true;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
