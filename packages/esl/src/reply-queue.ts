/**
 * Strict in-order correlation of requests and replies. FreeSWITCH answers the commands of one
 * socket in the order it received them, with no id, so the n-th reply belongs to the n-th
 * request. A request that times out or is aborted is settled for its caller but KEEPS its
 * slot: its late reply is consumed by that slot and can never resolve the next request.
 *
 * Deadlines share one timer per queue, armed for the earliest one: a request costs no timer of
 * its own, which matters when one connection carries tens of thousands of requests a second.
 *
 * A request that holds the line (FreeSWITCH replies only after running it: a static outbound
 * session's execute) delays the requests behind it, which FreeSWITCH reads only after that
 * reply: their timeouts start when it comes, not when they were sent.
 */
import { DeadlineTimer } from './deadline-timer.js';
import { EslAbortError, EslClosedError, EslQueueFullError, EslTimeoutError } from './errors.js';
import { checkTimeoutMs } from './timeout-ms.js';

export interface SlotOptions {
  /** Milliseconds until the caller gets EslTimeoutError (0 or Infinity = no timer). */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** What to name in error messages, e.g. `api status`. */
  label: string;
  /** FreeSWITCH reads the requests behind this one only once it has answered it. */
  holdsLine?: boolean | undefined;
}

interface Slot<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
  settled: boolean;
  /** performance.now() after which the caller gets EslTimeoutError; Infinity = never. */
  deadline: number;
  timeoutMs: number;
  label: string;
  cleanup: (() => void) | undefined;
  holdsLine: boolean;
  /** Its timeout starts once the line-holding request before it is answered. */
  held: boolean;
}

export class ReplyQueue<T> {
  readonly #slots: Slot<T>[] = [];
  #head = 0;
  readonly #maxPending: number;
  /** Replies that arrived for requests already timed out or aborted. */
  lateReplies = 0;
  #awaited = 0;
  /** Line-holding requests not answered yet (timed-out ones included: FreeSWITCH still runs them). */
  #holding = 0;
  readonly #onTimeout: () => void;
  readonly #deadlines = new DeadlineTimer((now) => this.#expire(now));

  constructor(maxPending: number, onTimeout: () => void = () => undefined) {
    this.#maxPending = maxPending;
    this.#onTimeout = onTimeout;
  }

  /** Requests sent and not answered yet, timed-out ones included (they still hold a slot). */
  get size(): number {
    return this.#slots.length - this.#head;
  }

  /** Requests whose caller still waits for the reply: `size` without the timed-out and aborted ones. */
  get awaited(): number {
    return this.#awaited;
  }

  /**
   * Reserves the next slot. Throws EslInvalidArgumentError / EslQueueFullError / EslAbortError
   * synchronously, before anything is sent, so the caller can skip the write.
   */
  reserve(options: SlotOptions): Promise<T> {
    checkTimeoutMs('timeoutMs', options.timeoutMs, options.label);
    if (options.signal?.aborted === true) throw new EslAbortError(options.label, options.signal.reason);
    if (this.size >= this.#maxPending) throw new EslQueueFullError(this.#maxPending);
    return new Promise<T>((resolve, reject) => {
      const timed = options.timeoutMs > 0 && Number.isFinite(options.timeoutMs);
      const held = timed && this.#holding > 0;
      const holdsLine = options.holdsLine === true;
      if (holdsLine) this.#holding++;
      const slot: Slot<T> = {
        resolve,
        reject,
        settled: false,
        deadline: timed && !held ? performance.now() + options.timeoutMs : Number.POSITIVE_INFINITY,
        timeoutMs: options.timeoutMs,
        label: options.label,
        cleanup: undefined,
        holdsLine,
        held,
      };
      const signal = options.signal;
      if (signal !== undefined) {
        const onAbort = (): void => this.#fail(slot, new EslAbortError(options.label, signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        slot.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.#slots.push(slot);
      this.#awaited++;
      this.#deadlines.add(slot.deadline);
    });
  }

  /** Hands a reply to the oldest slot. Returns false when no request was waiting (a protocol error). */
  deliver(reply: T): boolean {
    return this.#settleOldest((slot) => slot.resolve(reply));
  }

  /** The oldest slot's reply came but cannot be handed over (too large): it fails with `err`. */
  fail(err: Error): boolean {
    return this.#settleOldest((slot) => slot.reject(err));
  }

  #settleOldest(settle: (slot: Slot<T>) => void): boolean {
    if (this.size === 0) return false;
    const slot = this.#slots[this.#head]!;
    this.#slots[this.#head] = undefined as unknown as Slot<T>; // let it be collected
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#slots.length) {
      this.#slots.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.size === 0) this.#deadlines.idle();
    if (slot.holdsLine) this.#releaseLine();
    if (slot.settled) {
      this.lateReplies++;
      return true;
    }
    this.#settle(slot);
    settle(slot);
    return true;
  }

  /** A line-holding request was answered: the timeouts of the requests up to the next one start now. */
  #releaseLine(): void {
    this.#holding--;
    const now = performance.now();
    for (let i = this.#head; i < this.#slots.length; i++) {
      const slot = this.#slots[i]!;
      if (slot.held) {
        slot.held = false;
        if (!slot.settled) {
          slot.deadline = now + slot.timeoutMs;
          this.#deadlines.add(slot.deadline);
        }
      }
      if (slot.holdsLine) return;
    }
  }

  /** Rejects every waiting request (the socket is gone) and empties the queue. */
  rejectAll(err: Error = new EslClosedError()): void {
    this.#holding = 0;
    this.#deadlines.cancel();
    const slots = this.#slots.splice(this.#head);
    this.#slots.length = 0;
    this.#head = 0;
    for (const slot of slots) {
      if (slot.settled) continue;
      this.#settle(slot);
      slot.reject(err);
    }
  }

  #fail(slot: Slot<T>, err: Error): void {
    if (slot.settled) return;
    this.#settle(slot);
    slot.reject(err);
  }

  #settle(slot: Slot<T>): void {
    slot.settled = true;
    this.#awaited--;
    slot.cleanup?.();
    slot.cleanup = undefined;
  }

  /** Times out every waiting request whose deadline passed; returns the next deadline. */
  #expire(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (let i = this.#head; i < this.#slots.length; i++) {
      const slot = this.#slots[i]!;
      if (slot.settled) continue;
      if (slot.deadline <= now) {
        this.#onTimeout();
        this.#fail(slot, new EslTimeoutError(slot.label, slot.timeoutMs));
      } else if (slot.deadline < next) next = slot.deadline;
    }
    return next;
  }
}
