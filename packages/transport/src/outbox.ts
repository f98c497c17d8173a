/**
 * The bounded outgoing buffer every driver uses while its broker is away. Bounded by count and
 * bytes; when full, the OLDEST message is dropped (a consumer cares more about the recent
 * past than about a gap it will see counted) and the drop is counted — never one `carried`
 * (OutboxItem.carried). A request whose requester stopped waiting (timeout, abort, reply) is
 * never sent: `takeLive` leaves it out and counts it as expired. One whose requester still waits
 * (`onRequestUnsent`) and that the bound drops is counted and its requester told, so it fails at
 * once instead of at its timeout.
 */

export interface OutboxItem {
  subject: string;
  data: Uint8Array;
  headers?: Readonly<Record<string, string>> | undefined;
  /** Opaque reply address (e.g. a forwarded request keeps its requester's inbox). */
  replyTo?: string | undefined;
  /** What it is, for drivers that route requests and replies apart from publishes. @default 'publish' */
  kind?: 'publish' | 'request' | 'reply' | undefined;
  /** Correlation of a request, its reply, or a forwarded request (drivers without native request/reply). */
  correlationId?: string | undefined;
  /**
   * `performance.now()` after which a request (or a forwarded one) is worth nothing: it is not sent
   * after that, and brokers with a per-message TTL get the time left when it is sent.
   */
  deadline?: number | undefined;
  /** Set once the requester settled (reply, timeout, abort, close): a buffered item is not sent. */
  settled?: boolean | undefined;
  /** Its publisher's PublishOptions.onDroppedAfterSend. */
  onDroppedAfterSend?: ((subject: string, data: Uint8Array, lossMark?: number, refused?: boolean, unsent?: boolean) => void) | undefined;
  /** Its publisher's PublishOptions.lossMark, given back with the callback. */
  lossMark?: number | undefined;
  /**
   * publish() answered 'sent' for it (put back in flight when the connection went, or held in a
   * send queue such as Kafka's): its publisher never saw it buffered, so its eviction is handed
   * back, not only counted.
   */
  sentBefore?: boolean | undefined;
  /**
   * Set by the requester waiting on this request (or gathering): called once if it is lost unsent,
   * pushed out by the bound for newer messages (`refusal` undefined) or refused when the outbox is
   * flushed (DriverCore.flushOutbox), so the request fails at once, not at its timeout (no reply
   * can come). Counted before. Not set on a fire-and-forget command, nor on a hand-off.
   */
  onRequestUnsent?: ((item: OutboxItem, refusal?: unknown) => void) | undefined;
  /**
   * Never pushed out for room, and not counted against the bound: an agent's notice Kafka's send
   * queue carried (kafka-send-queue.ts), put back by a lost connection. Pushed out by the events
   * buffered in the next outage, the loss it told would never be told. Few: one per outage.
   */
  carried?: boolean | undefined;
}

/**
 * True for a request nobody waits for any more: settled, or past its deadline. The clock is read
 * only for an item with a deadline (every event goes through here and has none).
 */
export function isStale(item: OutboxItem, now?: number): boolean {
  return item.settled === true || (item.deadline !== undefined && item.deadline <= (now ?? performance.now()));
}

/** True for what a server runs on arrival: a request, or one handed off to another lane (not a reply). */
export function runsOnArrival(item: OutboxItem): boolean {
  return item.kind === 'request' || (item.kind !== 'reply' && item.replyTo !== undefined);
}

export class Outbox {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  #items: OutboxItem[] = [];
  #head = 0;
  #bytes = 0;
  /** Of the items held, those `carried` (outside the bound), and their bytes. */
  #carried = 0;
  #carriedBytes = 0;
  dropped = 0;
  /** Of `dropped`, replies: a requester's answer lost, not an event (the agent tells them apart). */
  repliesDropped = 0;
  buffered = 0;
  /** Requests left out unsent because their requester stopped waiting (not in `dropped`). */
  expired = 0;
  /**
   * Which bound made the latest drop for room: 'messages' when the count was reached (the bytes
   * may have bound too), else 'bytes'. Undefined before any such drop.
   */
  fullBy: 'messages' | 'bytes' | undefined;

  readonly #evictedAfterSend: ((item: OutboxItem) => void) | undefined;
  /** Every item held was said 'sent' (a send queue): each counts as marked `sentBefore`. */
  readonly #everySent: boolean;
  /** Marked items lost during the operation at hand, handed back once the outbox is whole again. */
  #handBack: OutboxItem[] = [];

  /**
   * `evictedAfterSend`: takes (and counts) a `sentBefore` item the bound drops; without it, such
   * an item is only counted. `everySent`: publish() said 'sent' for everything this outbox holds
   * (a driver's send queue), so every item is taken as `sentBefore`, none marked one by one.
   */
  constructor(maxMessages: number, maxBytes: number, evictedAfterSend?: (item: OutboxItem) => void, everySent = false) {
    this.#maxMessages = Math.max(0, maxMessages);
    this.#maxBytes = Math.max(0, maxBytes);
    this.#evictedAfterSend = evictedAfterSend;
    this.#everySent = everySent;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Adds an item; returns false when the item itself could not be kept. */
  push(item: OutboxItem): boolean {
    const kept = this.#add(item, true);
    if (kept) this.buffered++;
    if (this.#handBack.length > 0) this.#handBackLost();
    return kept;
  }

  /**
   * Puts `items` back in front of everything held, in their order: messages older than those (a
   * dead channel's unconfirmed publishes, sent again). Over the bound the oldest go.
   * `heldBefore`: taken from this outbox by a flush the connection's loss cut short (not counted
   * in `buffered` twice); otherwise publish() said 'sent' for them, and they are marked `sentBefore`
   * (kept through later put-backs): dropped by the bound, they are handed back (`evictedAfterSend`).
   */
  putBack(items: readonly OutboxItem[], heldBefore = false): void {
    if (items.length === 0) return;
    const held = this.drain();
    for (const item of items) {
      if (!heldBefore) item.sentBefore = true;
      if (this.#add(item) && !heldBefore) this.buffered++;
    }
    for (const item of held) this.#add(item);
    if (this.#handBack.length > 0) this.#handBackLost();
  }

  /** Counts `item` dropped (sent nowhere, for good). */
  countDropped(item: OutboxItem): void {
    this.dropped++;
    if (item.kind === 'reply') this.repliesDropped++;
  }

  /** Whether `item` could be held at all (not bigger than the bound by itself). */
  holds(item: OutboxItem): boolean {
    return this.#maxMessages > 0 && item.data.byteLength <= this.#maxBytes;
  }

  /** `pushed`: its sender hears of a refusal from push() (its requester is not told twice). */
  #add(item: OutboxItem, pushed = false): boolean {
    const len = item.data.byteLength;
    if (!this.holds(item)) {
      if (pushed && item.onRequestUnsent !== undefined) this.countDropped(item);
      else this.#lose(item);
      return false;
    }
    if (item.carried === true) {
      this.#carried++;
      this.#carriedBytes += len;
    } else {
      // Only the first drop can be for the count (one frees a place): said here, not read from the
      // count held after — a drop the count started may leave fewer when the bytes still bind.
      if (this.#bound() >= this.#maxMessages) this.fullBy = 'messages';
      else if (this.#bytes - this.#carriedBytes + len > this.#maxBytes) this.fullBy = 'bytes';
      while (this.#bound() >= this.#maxMessages || this.#bytes - this.#carriedBytes + len > this.#maxBytes) this.#dropOldest();
    }
    this.#items.push(item);
    this.#bytes += len;
    return true;
  }

  /** The items the bound counts: all but the carried. */
  #bound(): number {
    return this.size - this.#carried;
  }

  /** Removes and returns every item, oldest first. */
  drain(): OutboxItem[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#carried = 0;
    this.#carriedBytes = 0;
    return out;
  }

  /** Removes every item; returns those still worth sending, oldest first, and counts the others as expired. */
  takeLive(now = performance.now()): OutboxItem[] {
    const out: OutboxItem[] = [];
    for (const item of this.drain()) {
      if (isStale(item, now)) this.expired++;
      else out.push(item);
    }
    return out;
  }

  /** Drops everything (driver closing); counted (as expired for requests nobody waits for). */
  discard(): void {
    for (const item of this.takeLive()) this.countDropped(item);
  }

  /**
   * Counted, or kept to be handed back: when publish() had said 'sent' for it (`evictedAfterSend`
   * counts it, and tells a requester waiting on it), or to the requester waiting on it.
   */
  #lose(item: OutboxItem): void {
    if (item.onRequestUnsent !== undefined || this.#handedBack(item)) this.#handBack.push(item);
    else this.countDropped(item);
  }

  /** After the operation: the callbacks may publish again (into this outbox). */
  #handBackLost(): void {
    const lost = this.#handBack;
    this.#handBack = [];
    for (const item of lost) {
      if (this.#handedBack(item)) this.#evictedAfterSend!(item);
      else {
        // A requester still waits on it: it fails now, not at its timeout.
        this.countDropped(item);
        item.onRequestUnsent!(item);
      }
    }
  }

  /** A `sentBefore` item (every one of a send queue's) goes to `evictedAfterSend` when there is one. */
  #handedBack(item: OutboxItem): boolean {
    return (this.#everySent || item.sentBefore === true) && this.#evictedAfterSend !== undefined;
  }

  /** The oldest not carried (a carried one stays in its place, ahead of what follows it). */
  #dropOldest(): void {
    let at = this.#head;
    while (this.#items[at]?.carried === true) at++;
    const item = this.#items[at];
    if (item === undefined) return;
    if (at === this.#head) {
      this.#items[this.#head] = undefined as unknown as OutboxItem;
      this.#head++;
    } else this.#items.splice(at, 1);
    this.#bytes -= item.data.byteLength;
    this.#lose(item);
    // Compact now and then so the array does not grow with the dropped prefix.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
