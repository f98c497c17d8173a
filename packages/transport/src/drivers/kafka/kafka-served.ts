/**
 * Whether a lane's topic still has a reader. A topic outlives its readers — a node stopped or
 * crashed keeps its lane topic — so its existence alone would send a request to nobody, and the
 * request would wait out its timeout where the other brokers answer "no responders". The lanes'
 * consumer groups say more: a lane is read by the group named after its topic (a competing lane:
 * `freeswitch.api`, the agent's `freeswitch.cmd.async`) or by a group `<client id>.<topic>` (a
 * direct lane, kafka-reader.ts; a client id is `<name>-<8 hex digits>`, kafka-driver.ts). Exactly
 * these: another application's group reading the topic (`audit.freeswitch.api`) serves nothing.
 * The broker empties a group when its last reader leaves, and when a crashed one misses its
 * session timeout (10 s). So a topic with such groups, all of them empty, is not served; a topic
 * with none (read under a group name of the user's choosing) is taken as served.
 *
 * One ListGroups per broker answers for every topic. A listing is trusted for LISTING_MAX_AGE_MS
 * (taken again behind the answer after half of that, so steady traffic never waits for one) and
 * taken again first when older; one that says "not served" is taken again before it is believed,
 * unless younger than LISTING_MIN_AGE_MS. So a request may still go to a lane whose last reader
 * left less than a second before. A broker that cannot list groups leaves the topic's existence as
 * the answer (and is asked again after LISTING_RETRY_MS); one that does not answer within
 * LISTING_WAIT_MS too, for that request: it goes to the send queue, which learns of a broker gone
 * silent from its own produce, instead of waiting out the listing's timeouts first.
 */
import type { Admin } from '@platformatic/kafka';
import type { DriverLogger } from '../../driver.js';

/** A listing older than this is taken again before it answers. @default 1000 */
export const LISTING_MAX_AGE_MS = 1_000;
/** A listing this young answers "not served" without being taken again. @default 250 */
export const LISTING_MIN_AGE_MS = 250;
/** After a failed listing, the topic's existence answers alone this long. @default 30000 */
export const LISTING_RETRY_MS = 30_000;
/** A request waits this long for a listing; then the topic's existence answers (the listing goes on). @default 500 */
export const LISTING_WAIT_MS = 500;

/** Group states without members (any other has members, or is getting them). */
const EMPTY_STATES = new Set(['Empty', 'Dead']);

interface Listing {
  /** A name groups may be named after (kafka-reader.ts) → whether some group so named has members. */
  readonly live: Map<string, boolean>;
  readonly takenAt: number;
}

export class ServedTopics {
  readonly #admin: () => Admin | undefined;
  readonly #logger: DriverLogger | undefined;
  #listing: Listing | undefined;
  #taking: Promise<Listing | undefined> | undefined;
  #unlistableUntil = 0;

  constructor(admin: () => Admin | undefined, logger: DriverLogger | undefined) {
    this.#admin = admin;
    this.#logger = logger;
  }

  /** Whether some reader serves `topic` (which exists): false only when its groups are all empty. */
  async served(topic: string): Promise<boolean> {
    if (performance.now() < this.#unlistableUntil) return true;
    let listing = this.#listing;
    let age = listing === undefined ? Infinity : performance.now() - listing.takenAt;
    if (age > LISTING_MAX_AGE_MS) {
      listing = await this.#fresh();
      age = 0;
    } else if (age > LISTING_MAX_AGE_MS / 2) void this.#take();
    if (listing === undefined || listing.live.get(topic) !== false) return true;
    if (age >= LISTING_MIN_AGE_MS) listing = await this.#fresh();
    return listing === undefined || listing.live.get(topic) !== false;
  }

  /** A new listing, or undefined (served) when none comes within LISTING_WAIT_MS. */
  #fresh(): Promise<Listing | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, LISTING_WAIT_MS, undefined);
      void this.#take().then((listing) => {
        clearTimeout(timer);
        resolve(listing);
      });
    });
  }

  /** Forgets the listing (reconnected: the groups may have changed meanwhile). */
  reset(): void {
    this.#listing = undefined;
  }

  #take(): Promise<Listing | undefined> {
    this.#taking ??= this.#list().finally(() => (this.#taking = undefined));
    return this.#taking;
  }

  async #list(): Promise<Listing | undefined> {
    const admin = this.#admin();
    if (admin === undefined) return undefined;
    try {
      const groups = await admin.listGroups();
      const live = new Map<string, boolean>();
      for (const g of groups.values()) {
        // Without group states (a broker before ListGroups v4) nothing can be told: served.
        const hasMembers = g.state === 'Unknown' || !EMPTY_STATES.has(g.state);
        for (const name of laneTopics(g.id)) live.set(name, (live.get(name) ?? false) || hasMembers);
      }
      this.#listing = { live, takenAt: performance.now() };
      return this.#listing;
    } catch (err) {
      this.#unlistableUntil = performance.now() + LISTING_RETRY_MS;
      this.#logger?.warn({ err, retry_ms: LISTING_RETRY_MS }, "kafka: cannot list consumer groups; meanwhile a lane's topic existing is taken as someone serving it");
      return undefined;
    }
  }
}

/** A driver's client id (kafka-driver.ts): its name in `[A-Za-z0-9._-]`, a dash, 8 hex digits. */
const CLIENT_ID = /^[A-Za-z0-9._-]*-[0-9a-f]{8}$/;

/**
 * The lane topics group `id` may be named after: `id` itself (a competing lane), and `<topic>` of
 * `<client id>.<topic>` (a direct lane; the name may hold dots, so every split is tried).
 */
function laneTopics(id: string): string[] {
  const out = [id];
  for (let at = id.indexOf('.'); at !== -1; at = id.indexOf('.', at + 1)) if (CLIENT_ID.test(id.slice(0, at))) out.push(id.slice(at + 1));
  return out;
}
