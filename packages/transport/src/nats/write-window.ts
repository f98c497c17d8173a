/**
 * How much one connection has written that nats-server has not confirmed reading yet: the server
 * answers a PING only after everything written before it, so a flush's PONG confirms it all.
 * Core NATS has no other acknowledgement, and nats.js writes into its socket without bound: a
 * link that hangs without closing (nats.js notices only by its pings, 20–30 s) or a server that
 * cannot keep up would have everything published meanwhile pile up in the socket's buffer, to be
 * lost with it. Past `limit` the driver holds what comes next in its bounded outbox instead.
 * A PING goes out whenever an eighth of the limit is unconfirmed and none is pending: at most
 * eight per limit's worth of bytes, none while idle.
 */
export class WriteWindow {
  readonly limit: number;
  readonly #ping: () => Promise<void>;
  readonly #onRoom: () => void;
  #written = 0;
  #confirmed = 0;
  #pinging = false;
  /** Bumped when the connection changes: a PONG of the old one confirms nothing on the new one. */
  #connection = 0;

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

  /** `bytes` were just written to the connection. */
  wrote(bytes: number): void {
    this.#written += bytes;
    this.#pingIfDue();
  }

  /** A new connection (or none): nothing written on the old one waits for confirmation any more. */
  reset(): void {
    this.#connection++;
    this.#written = 0;
    this.#confirmed = 0;
    this.#pinging = false;
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
    this.#onRoom();
    this.#pingIfDue();
  }

  #pingIfDue(): void {
    // A PING that fails went with its connection: reset() follows, or close().
    if (!this.#pinging && this.#written - this.#confirmed >= this.limit / 8) this.confirm().catch(() => undefined);
  }
}
