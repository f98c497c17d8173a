/**
 * The bounded outgoing buffer every driver uses while its broker is away. Bounded by count and
 * bytes; when full, the OLDEST message is dropped (a consumer cares more about the recent
 * past than about a gap it will see counted) and the drop is counted.
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
  /** How long a request is worth delivering (its timeout), for brokers with per-message TTL. */
  ttlMs?: number | undefined;
}

export class Outbox {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  #items: OutboxItem[] = [];
  #head = 0;
  #bytes = 0;
  dropped = 0;
  buffered = 0;

  constructor(maxMessages: number, maxBytes: number) {
    this.#maxMessages = Math.max(0, maxMessages);
    this.#maxBytes = Math.max(0, maxBytes);
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Adds an item; returns false when the item itself could not be kept. */
  push(item: OutboxItem): boolean {
    const len = item.data.byteLength;
    if (this.#maxMessages === 0 || len > this.#maxBytes) {
      this.dropped++;
      return false;
    }
    while (this.size >= this.#maxMessages || this.#bytes + len > this.#maxBytes) this.#dropOldest();
    this.#items.push(item);
    this.#bytes += len;
    this.buffered++;
    return true;
  }

  /** Removes and returns every item, oldest first. */
  drain(): OutboxItem[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return out;
  }

  /** Drops everything (driver closing); counted. */
  discard(): void {
    this.dropped += this.size;
    this.drain();
  }

  #dropOldest(): void {
    const item = this.#items[this.#head];
    if (item === undefined) return;
    this.#items[this.#head] = undefined as unknown as OutboxItem;
    this.#head++;
    this.#bytes -= item.data.byteLength;
    this.dropped++;
    // Compact now and then so the array does not grow with the dropped prefix.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
