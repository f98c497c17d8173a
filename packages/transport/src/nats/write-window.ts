/**
 * How much one connection has written that nats-server has not confirmed reading yet: the server
 * answers a PING only after everything written before it, so a flush's PONG confirms it all.
 * Core NATS has no other acknowledgement, and nats.js writes into its socket without bound: a
 * link that hangs without closing (nats.js notices only by its pings: 2–3 `livenessIntervalMs`)
 * or a server that cannot keep up would have everything published meanwhile pile up in the
 * socket's buffer, to be lost with it. Past `limit` the driver holds what comes next in its bounded outbox instead.
 * A PING goes out whenever an eighth of the limit is unconfirmed and none is pending: at most
 * eight per limit's worth of bytes, none while idle.
 *
 * The messages whose publisher wants to hear of a loss (`wrote`'s `tracked`: those with an
 * onDroppedAfterSend) are remembered until a PONG confirms them; `reset` hands back those the
 * connection took with it (their fate unknown: some may have arrived). At most a window's worth:
 * past `limit` nothing is written. While any waits, a PING goes out within CONFIRM_WITHIN_MS even
 * below an eighth, so a slow trickle of events is not handed back minutes after it arrived.
 * A PONG takes 7–40 ms at 40,000 events/s: thousands wait, long enough to outlive scavenges. So
 * they are kept as scalars in parallel arrays, no object per message, and with a lossMark
 * (PublishOptions) without their bytes either.
 */
import type { OutboxItem } from '../outbox.js';

/** How long a tracked message waits for a PING at most, below an eighth of the limit. */
const CONFIRM_WITHIN_MS = 200;
/** What a message handed back with its lossMark carries instead of its bytes. */
const NO_BYTES = new Uint8Array(0);
/** Past this many confirmed at the head, the arrays shed them (amortised, once they are the larger part). */
const COMPACT_FROM = 1024;

type LossCallback = NonNullable<OutboxItem['onDroppedAfterSend']>;

export class WriteWindow {
  readonly limit: number;
  readonly #ping: () => Promise<void>;
  readonly #onRoom: () => void;
  #written = 0;
  #confirmed = 0;
  #pinging = false;
  /** Bumped when the connection changes: a PONG of the old one confirms nothing on the new one. */
  #connection = 0;
  /**
   * Tracked messages in the order written, one index across the arrays: `#head` is the oldest
   * unconfirmed. `#ends`: `#written` just after each. `#marks`: NaN when none was given (numbers
   * only, so V8 stores them unboxed). `#payloads`: the bytes, only for messages without a mark.
   */
  #subjects: Array<string | undefined> = [];
  #callbacks: Array<LossCallback | undefined> = [];
  #marks: number[] = [];
  #payloads: Array<Uint8Array | undefined> = [];
  #ends: number[] = [];
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

  /**
   * `bytes` were just written to the connection; `tracked`: the message, handed back if they are
   * lost when it has an onDroppedAfterSend. Not kept itself: its subject, callback and lossMark
   * are, and its bytes only without a lossMark.
   */
  wrote(bytes: number, tracked?: OutboxItem): void {
    this.#written += bytes;
    if (tracked?.onDroppedAfterSend !== undefined) {
      const mark = tracked.lossMark;
      this.#subjects.push(tracked.subject);
      this.#callbacks.push(tracked.onDroppedAfterSend);
      this.#marks.push(mark ?? Number.NaN);
      this.#payloads.push(mark === undefined ? tracked.data : undefined);
      this.#ends.push(this.#written);
      this.#confirmTimer ??= setTimeout(this.#confirmDue, CONFIRM_WITHIN_MS).unref();
    }
    this.#pingIfDue();
  }

  /**
   * A new connection (or none): nothing written on the old one waits for confirmation any more.
   * Returns the tracked messages it had not confirmed, oldest first (none twice), made again from
   * what was kept: `data` empty for those with a lossMark.
   */
  reset(): OutboxItem[] {
    this.#connection++;
    this.#written = 0;
    this.#confirmed = 0;
    this.#pinging = false;
    clearTimeout(this.#confirmTimer);
    this.#confirmTimer = undefined;
    const lost: OutboxItem[] = [];
    for (let i = this.#head; i < this.#ends.length; i++) {
      const mark = this.#marks[i]!;
      const marked = !Number.isNaN(mark);
      lost.push({ subject: this.#subjects[i]!, data: marked ? NO_BYTES : this.#payloads[i]!, onDroppedAfterSend: this.#callbacks[i], lossMark: marked ? mark : undefined });
    }
    this.#subjects = [];
    this.#callbacks = [];
    this.#marks = [];
    this.#payloads = [];
    this.#ends = [];
    this.#head = 0;
    return lost;
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
    // Nothing tracked (commands, replies, events without a loss callback): nothing to let go.
    if (this.#ends.length === 0) return;
    const ends = this.#ends;
    let head = this.#head;
    while (head < ends.length && ends[head]! <= this.#confirmed) {
      this.#subjects[head] = undefined;
      this.#callbacks[head] = undefined;
      this.#payloads[head] = undefined;
      head++;
    }
    // All confirmed, or (amortised) what is left moves to the front once the confirmed part is the larger.
    if (head === ends.length || (head >= COMPACT_FROM && head * 2 >= ends.length)) {
      this.#shed(head);
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

  /** Drops the first `count` entries of every array. */
  #shed(count: number): void {
    for (const list of [this.#subjects, this.#callbacks, this.#marks, this.#payloads, this.#ends] as unknown[][]) {
      if (count === list.length) list.length = 0;
      else list.splice(0, count);
    }
  }

  readonly #confirmDue = (): void => {
    this.#confirmTimer = undefined;
    // A pending PING covers them already; its PONG arms the timer again if some are left.
    if (this.#pinging || this.#head === this.#ends.length) return;
    this.confirm().catch(() => undefined);
  };

  #pingIfDue(): void {
    // A PING that fails went with its connection: reset() follows, or close().
    if (!this.#pinging && this.#written - this.#confirmed >= this.limit / 8) this.confirm().catch(() => undefined);
  }
}
