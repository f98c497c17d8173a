/**
 * Strict in-order correlation of requests and replies. FreeSWITCH answers the commands of one
 * socket in the order it received them, with no id, so the n-th reply belongs to the n-th
 * request. A request that times out or is aborted is settled for its caller but KEEPS its
 * slot: its late reply is consumed by that slot and can never resolve the next request.
 */
import { EslAbortError, EslClosedError, EslQueueFullError, EslTimeoutError } from './errors.js';

export interface SlotOptions {
  /** Milliseconds until the caller gets EslTimeoutError (0 or Infinity = no timer). */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** What to name in error messages, e.g. `api status`. */
  label: string;
}

interface Slot<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  cleanup: (() => void) | undefined;
}

export class ReplyQueue<T> {
  readonly #slots: Slot<T>[] = [];
  #head = 0;
  readonly #maxPending: number;
  /** Replies that arrived for requests already timed out or aborted. */
  lateReplies = 0;
  readonly #onTimeout: () => void;

  constructor(maxPending: number, onTimeout: () => void = () => undefined) {
    this.#maxPending = maxPending;
    this.#onTimeout = onTimeout;
  }

  /** Requests sent and not answered yet, timed-out ones included (they still hold a slot). */
  get size(): number {
    return this.#slots.length - this.#head;
  }

  /**
   * Reserves the next slot. Throws EslQueueFullError / EslAbortError synchronously, before
   * anything is sent, so the caller can skip the write.
   */
  reserve(options: SlotOptions): Promise<T> {
    if (options.signal?.aborted === true) throw new EslAbortError(options.label, options.signal.reason);
    if (this.size >= this.#maxPending) throw new EslQueueFullError(this.#maxPending);
    return new Promise<T>((resolve, reject) => {
      const slot: Slot<T> = { resolve, reject, settled: false, timer: undefined, cleanup: undefined };
      const fail = (err: Error): void => {
        if (slot.settled) return;
        slot.settled = true;
        this.#release(slot);
        reject(err);
      };
      if (options.timeoutMs > 0 && Number.isFinite(options.timeoutMs)) {
        slot.timer = setTimeout(() => {
          this.#onTimeout();
          fail(new EslTimeoutError(options.label, options.timeoutMs));
        }, options.timeoutMs);
      }
      const signal = options.signal;
      if (signal !== undefined) {
        const onAbort = (): void => fail(new EslAbortError(options.label, signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        slot.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.#slots.push(slot);
    });
  }

  /** Hands a reply to the oldest slot. Returns false when no request was waiting (a protocol error). */
  deliver(reply: T): boolean {
    if (this.size === 0) return false;
    const slot = this.#slots[this.#head]!;
    this.#slots[this.#head] = undefined as unknown as Slot<T>; // let it be collected
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#slots.length) {
      this.#slots.splice(0, this.#head);
      this.#head = 0;
    }
    if (slot.settled) {
      this.lateReplies++;
      return true;
    }
    slot.settled = true;
    this.#release(slot);
    slot.resolve(reply);
    return true;
  }

  /** Rejects every waiting request (the socket is gone) and empties the queue. */
  rejectAll(err: Error = new EslClosedError()): void {
    const slots = this.#slots.splice(this.#head);
    this.#slots.length = 0;
    this.#head = 0;
    for (const slot of slots) {
      if (slot.settled) continue;
      slot.settled = true;
      this.#release(slot);
      slot.reject(err);
    }
  }

  #release(slot: Slot<T>): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.cleanup?.();
    slot.cleanup = undefined;
  }
}
