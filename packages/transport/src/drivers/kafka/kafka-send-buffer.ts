/**
 * The send queue's records, bounded like the Outbox (by count and bytes, the oldest pushed out for
 * room) but for one thing: publish() reported each of them 'sent', so one pushed out is handed to
 * `evicted` — the driver counts it and tells its publisher (PublishOptions.onDroppedAfterSend) —
 * where the Outbox only counts (its records were 'buffered': the publisher knows them held).
 */
import type { OutboxItem } from '../../outbox.js';

export class SendBuffer {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #evicted: (item: OutboxItem) => void;
  #items: OutboxItem[] = [];
  #head = 0;
  #bytes = 0;

  constructor(maxMessages: number, maxBytes: number, evicted: (item: OutboxItem) => void) {
    this.#maxMessages = Math.max(0, maxMessages);
    this.#maxBytes = Math.max(0, maxBytes);
    this.#evicted = evicted;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Adds `item`, the oldest pushed out for room; false when `item` itself can never be held. */
  push(item: OutboxItem): boolean {
    const len = item.data.byteLength;
    if (this.#maxMessages === 0 || len > this.#maxBytes) return false;
    while (this.size >= this.#maxMessages || this.#bytes + len > this.#maxBytes) this.#evictOldest();
    this.#items.push(item);
    this.#bytes += len;
    return true;
  }

  /** Removes and returns every record, oldest first. */
  drain(): OutboxItem[] {
    const out = this.#head === 0 ? this.#items : this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return out;
  }

  #evictOldest(): void {
    const item = this.#items[this.#head]!;
    this.#items[this.#head] = undefined as unknown as OutboxItem;
    this.#head++;
    this.#bytes -= item.data.byteLength;
    // Compact now and then so the array does not grow with the evicted prefix.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    // Last: its publisher's callback may publish again (into this buffer, now consistent).
    this.#evicted(item);
  }
}
