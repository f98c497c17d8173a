/**
 * A bounded async iterator over events. A consumer slower than FreeSWITCH must not grow memory
 * without limit: when `limit` events are waiting, new ones are dropped and counted (like
 * FreeSWITCH's own listener queue, which drops the newest when full).
 */
import type { EslEvent } from './event.js';
import { listenerEventName } from './event-names.js';

export interface IterateOptions {
  /** Only these event names (`CUSTOM` subclasses may be given as `custom::<subclass>` or the bare subclass). */
  names?: readonly string[];
  /** Only events of this channel (`Unique-ID`). */
  uuid?: string;
  /** Events kept waiting at most; more are dropped. @default eventQueueLimit of the client (10000) */
  limit?: number;
  /**
   * Ends the iteration when aborted (e.g. `AbortSignal.timeout(ms)`): a pending `next()` and every
   * later one resolve `{ done: true }`, queued events are discarded. @default none
   */
  signal?: AbortSignal;
}

type Resolve = (r: IteratorResult<EslEvent, undefined>) => void;

/** The names as given, plus each as listeners read it (listenerEventName: an event name in another case or with `SWITCH_EVENT_`, `CUSTOM::<subclass>`), once here, not per event. */
function nameSet(names: Iterable<string>): Set<string> {
  const set = new Set<string>();
  for (const n of names) {
    set.add(n);
    if (typeof n === 'string') set.add(listenerEventName(n));
  }
  return set;
}

export class EventIterator implements AsyncIterableIterator<EslEvent, undefined> {
  readonly #queue: EslEvent[] = [];
  #head = 0;
  readonly #limit: number;
  readonly #names: Set<string> | undefined;
  readonly #uuid: string | undefined;
  readonly #onDrop: (it: EventIterator) => void;
  readonly #onReturn: (it: EventIterator) => void;
  /** `next()` calls waiting for an event, oldest first (the protocol allows several at once). */
  #waiters: Resolve[] = [];
  #done = false;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => {
    void this.return();
  };
  /** Events dropped by this iterator because its queue was full. */
  dropped = 0;

  constructor(options: IterateOptions, defaultLimit: number, onDrop: (it: EventIterator) => void, onReturn: (it: EventIterator) => void) {
    this.#limit = Math.max(1, options.limit ?? defaultLimit);
    this.#names = options.names === undefined ? undefined : nameSet(options.names);
    this.#uuid = options.uuid;
    this.#onDrop = onDrop;
    this.#onReturn = onReturn;
    this.#signal = options.signal;
    if (this.#signal?.aborted === true) this.#onAbort();
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** True once the iteration ended (return(), end(), an aborted signal, the client closed). */
  get ended(): boolean {
    return this.#done;
  }

  /** Events kept waiting at most. */
  get limit(): number {
    return this.#limit;
  }

  /** Events waiting to be consumed. */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  matches(event: EslEvent): boolean {
    if (this.#uuid !== undefined && event.uuid !== this.#uuid) return false;
    if (this.#names === undefined) return true;
    if (this.#names.has(event.name)) return true;
    const sub = event.subclass;
    return sub !== undefined && (this.#names.has(sub) || this.#names.has(`custom::${sub}`));
  }

  push(event: EslEvent): void {
    if (this.#done) return;
    const w = this.#waiters.shift();
    if (w !== undefined) {
      w({ value: event, done: false });
      return;
    }
    if (this.size >= this.#limit) {
      this.dropped++;
      this.#onDrop(this);
      return;
    }
    this.#queue.push(event);
  }

  next(): Promise<IteratorResult<EslEvent, undefined>> {
    if (this.size > 0) {
      const value = this.#queue[this.#head]!;
      this.#queue[this.#head] = undefined as unknown as EslEvent;
      this.#head++;
      if (this.#head === this.#queue.length) {
        this.#queue.length = 0;
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Ends the iteration (also what `break` in `for await` calls). Queued events are discarded. */
  return(): Promise<IteratorResult<EslEvent, undefined>> {
    this.end();
    this.#queue.length = 0;
    this.#head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends after the events already queued are consumed. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onReturn(this);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
