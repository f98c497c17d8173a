/**
 * How much one connection has written that nats-server has not confirmed reading yet: the server
 * answers a PING only after everything written before it, so a flush's PONG confirms it all.
 * Core NATS has no other acknowledgement, and nats.js writes into its socket without bound: a
 * link that hangs without closing (nats.js notices only by its pings, 20–30 s) or a server that
 * cannot keep up would have everything published meanwhile pile up in the socket's buffer, to be
 * lost with it. Past `limit` the driver holds what comes next in its bounded outbox instead.
 * A PING goes out whenever an eighth of the limit is unconfirmed and none is pending: at most
 * eight per limit's worth of bytes, none while idle.
 *
 * The messages whose publisher wants to hear of a loss (`wrote`'s `tracked`) are kept, by
 * reference, until a PONG confirms them; `reset` hands back those the connection took with it
 * (their fate unknown: some may have arrived). At most a window's worth: past `limit` nothing is
 * written. While any waits, a PING goes out within CONFIRM_WITHIN_MS even below an eighth, so a
 * slow trickle of events is not handed back minutes after it arrived.
 */
/** How long a tracked message waits for a PING at most, below an eighth of the limit. */
const CONFIRM_WITHIN_MS = 200;

export class WriteWindow<T = unknown> {
  readonly limit: number;
  readonly #ping: () => Promise<void>;
  readonly #onRoom: () => void;
  #written = 0;
  #confirmed = 0;
  #pinging = false;
  /** Bumped when the connection changes: a PONG of the old one confirms nothing on the new one. */
  #connection = 0;
  /** Tracked messages in the order written, and `#written` just after each; `#head` is the oldest unconfirmed. */
  #tracked: Array<T | undefined> = [];
  #trackedEnds: number[] = [];
  #head = 0;
  #confirmTimer: ReturnType<typeof setTimeout> | undefined;

  /** `ping`: resolves once the server answered a PING sent now; `onRoom`: called after each confirmation. */
  constructor(limit: number, ping: () => Promise<void>, onRoom: () => void) {
    this.limit = limit;
    this.#ping = ping;
    this.#onRoom = onRoom;
  }

  /** More than `limit` bytes are unconfirmed: hold what comes next. */
  get full(): boolean {
    return this.#written - this.#confirmed > this.limit;
  }

  /** `bytes` were just written to the connection; `tracked`: the message, to be handed back if they are lost. */
  wrote(bytes: number, tracked?: T): void {
    this.#written += bytes;
    if (tracked !== undefined) {
      this.#tracked.push(tracked);
      this.#trackedEnds.push(this.#written);
      this.#confirmTimer ??= setTimeout(this.#confirmDue, CONFIRM_WITHIN_MS).unref();
    }
    this.#pingIfDue();
  }

  /**
   * A new connection (or none): nothing written on the old one waits for confirmation any more.
   * Returns the tracked messages it had not confirmed, oldest first (none twice).
   */
  reset(): T[] {
    this.#connection++;
    this.#written = 0;
    this.#confirmed = 0;
    this.#pinging = false;
    clearTimeout(this.#confirmTimer);
    this.#confirmTimer = undefined;
    const lost = this.#head === 0 ? this.#tracked : this.#tracked.slice(this.#head);
    this.#tracked = [];
    this.#trackedEnds = [];
    this.#head = 0;
    return lost as T[];
  }

  /** Resolves once what was written up to now is confirmed; rejects when the connection goes first. */
  async confirm(): Promise<void> {
    const mark = this.#written;
    const connection = this.#connection;
    this.#pinging = true;
    try {
      await this.#ping();
    } finally {
      if (connection === this.#connection) this.#pinging = false;
    }
    if (connection !== this.#connection) return;
    this.#confirmed = Math.max(this.#confirmed, mark);
    this.#forgetConfirmed();
    this.#onRoom();
    this.#pingIfDue();
  }

  #forgetConfirmed(): void {
    const ends = this.#trackedEnds;
    let head = this.#head;
    while (head < ends.length && ends[head]! <= this.#confirmed) this.#tracked[head++] = undefined;
    if (head === ends.length) {
      this.#tracked.length = 0;
      ends.length = 0;
      head = 0;
    } else if (head >= 1024 && head * 2 >= ends.length) {
      // Amortised: what is left moves to the front once the confirmed part is the larger.
      this.#tracked.splice(0, head);
      ends.splice(0, head);
      head = 0;
    }
    this.#head = head;
    if (head === ends.length) {
      clearTimeout(this.#confirmTimer);
      this.#confirmTimer = undefined;
    } else {
      // Written while the PING was out: the next one within the bound too.
      this.#confirmTimer ??= setTimeout(this.#confirmDue, CONFIRM_WITHIN_MS).unref();
    }
  }

  readonly #confirmDue = (): void => {
    this.#confirmTimer = undefined;
    // A pending PING covers them already; its PONG arms the timer again if some are left.
    if (this.#pinging || this.#head === this.#trackedEnds.length) return;
    this.confirm().catch(() => undefined);
  };

  #pingIfDue(): void {
    // A PING that fails went with its connection: reset() follows, or close().
    if (!this.#pinging && this.#written - this.#confirmed >= this.limit / 8) this.confirm().catch(() => undefined);
  }
}
