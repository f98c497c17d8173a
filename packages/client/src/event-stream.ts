/**
 * An async iterator of bus events with a bounded buffer: a consumer slower than the event rate
 * loses the oldest buffered events (counted in `dropped`), never the process's memory.
 * An event read from a durable stream is acknowledged once the loop is done with it: when it asks
 * for the next one (or calls ack()); one the loop left (break, a throw), or that was dropped, is
 * not, so the broker delivers it again (at least once). Closed while the loop handles an event,
 * the stream keeps its subscription until the loop is done with it (at most CLOSE_GRACE_MS), so
 * that event can still be acknowledged. A copy of an event this stream already
 * acknowledged, sent again by the broker (the ack was lost with its connection; on NATS also a
 * server that lost the consumer's state, which sends with delivery count 1), is acknowledged
 * again, not handed out (`duplicates`). A message that is not an event is never delivered, but counted (`malformed`) and
 * handed to `onMalformed`: skipped, not lost unseen.
 */
import type { Subscription } from '@fsbus/transport';
import { AckedSequences } from './acked-sequences.js';
import { ClientError, ClientErrorCode } from './errors.js';
import type { BusEvent } from './event.js';
import { eventProblem } from './malformed.js';
import { NoticeCopies } from './notice-copies.js';
import type { MalformedEvent, StreamGap, StreamLoss } from './types.js';

interface Item {
  event: BusEvent;
  ack: (() => void) | undefined;
  /** A named durable's: close() from outside waits for the loop to be done with it. */
  kept: boolean;
}

/**
 * `sequence`: the event's stream sequence, given with its `ack` by a named durable (whose broker
 * keeps what it acknowledged): a copy of one acknowledged is not handed out twice, and close()
 * from outside waits for the loop to be done with the one it handles. `redelivered`: the broker
 * says it sends this event again (DurableMessage.redelivered: NATS also for a sequence at or below
 * the highest it sent, whatever the delivery count); only such an event may be such a copy — a
 * sequence can come back for a new event (Redis restarted without persistence). A stream the
 * broker lost (a gap without `lost`) forgets what it acknowledged: the new one's sequences begin again.
 */
export type Deliver = (event: BusEvent, ack?: () => void, sequence?: number, redelivered?: boolean) => void;

/**
 * How long close() from outside waits, at most, for the loop to be done with the durable event it
 * is handling (a billing write) before the subscription goes, and the event back to the broker.
 */
export const CLOSE_GRACE_MS = 5000;
/** Ends the stream with `err` (next() rejects with it once the buffer is read), at any time. */
export type Fail = (err: Error) => void;
/** A message that is not an event: counted and reported, never delivered. */
export type Malformed = (subject: string, data: Uint8Array, sequence?: number) => void;
/**
 * The connection was down while the (live) stream was open: what came after `lostAt` (its last
 * message received before, or its start or last restore) until `restoredAt` may be missing; or
 * (durable) retention removed `lost` before it was read: counted and reported.
 */
export type Gap = (lostAt: Date, restoredAt: Date, lost?: StreamLoss) => void;

export class EventStream implements AsyncIterableIterator<BusEvent> {
  /** Resolves once the subscription is in place at the broker (events published after it are seen). */
  readonly ready: Promise<void>;
  readonly #limit: number;
  readonly #accept: (event: BusEvent) => boolean;
  #items: Item[] = [];
  #head = 0;
  /** The ack of the durable event the loop is handling: sent when it asks for the next one. */
  #handling: (() => void) | undefined;
  /** The event the loop is handling is a named durable's (Item.kept). */
  #handlingKept = false;
  /** Ends close()'s wait for the loop to be done with the event it is handling. */
  #handled: (() => void) | undefined;
  /** close() is waiting for that (the unsubscribe follows). */
  #waitingForLoop = false;
  /** What this stream acknowledged: a copy sent again (its ack was lost) is not handed out twice. */
  #acked = new AckedSequences();
  #duplicates = 0;
  readonly #notices = new NoticeCopies();
  #waiter: ((r: IteratorResult<BusEvent>) => void) | undefined;
  #failWaiter: ((err: Error) => void) | undefined;
  #subs: Subscription[] = [];
  #closed = false;
  #error: Error | undefined;
  #received = 0;
  #dropped = 0;
  #malformed = 0;
  #gaps = 0;
  readonly #onMalformed: ((message: MalformedEvent) => void) | undefined;
  readonly #onGap: ((gap: StreamGap) => void) | undefined;
  #offAbort: (() => void) | undefined;
  #onEnd: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /**
   * `onEnd` runs once when the stream ends, by close() or by failing; `onMalformed` gets each
   * message that is not an event; `onGap` each outage the stream lived through (reported by `open`'s `gap`).
   */
  constructor(
    open: (deliver: Deliver, fail: Fail, malformed: Malformed, gap: Gap) => Promise<Subscription[]>,
    accept: (event: BusEvent) => boolean,
    bufferSize: number,
    signal?: AbortSignal,
    onEnd?: () => void,
    onMalformed?: (message: MalformedEvent) => void,
    onGap?: (gap: StreamGap) => void,
  ) {
    this.#limit = Math.max(1, Math.floor(bufferSize));
    this.#accept = accept;
    this.#onEnd = onEnd;
    this.#onMalformed = onMalformed;
    this.#onGap = onGap;
    this.ready = open(
      (e, ack, sequence, redelivered) => this.#deliver(e, ack, sequence, redelivered === true),
      (err) => this.#fail(err),
      (subject, data, sequence) => this.#malformedMessage(subject, data, sequence),
      (lostAt, restoredAt, lost) => this.#gap(lostAt, restoredAt, lost),
    ).then(
      async (subs) => {
        this.#subs = subs;
        if (this.#closed) await this.#unsubscribe();
      },
      (err: unknown) => {
        this.#fail(err instanceof Error ? err : new Error(String(err)));
        throw err;
      },
    );
    // The iterator reports the failure; `ready` is for those who wait on it.
    this.ready.catch(() => undefined);
    if (signal !== undefined) {
      // close() does not reject (see #unsubscribe); nobody awaits this one, so no rejection may escape it.
      const onAbort = (): void => void this.close().catch(() => undefined);
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.#offAbort = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  /** Events accepted so far (delivered or dropped). */
  get received(): number {
    return this.#received;
  }
  /** Events lost because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }
  /** Messages skipped because they are not fsbus events (each also given to `onMalformed`). */
  get malformed(): number {
    return this.#malformed;
  }
  /**
   * Outages of the broker connection this live stream was open through, counted when the
   * connection is back: events published meanwhile were never delivered (not counted in
   * `dropped`). A durable stream keeps its position across outages: it counts the times its
   * stream's retention removed events before it read them (NATS, Kafka, RabbitMQ; Redis: pending
   * entries trimmed), each also given to `onGap`.
   */
  get gaps(): number {
    return this.#gaps;
  }
  /**
   * Durable events delivered again after this stream had acknowledged them (the ack was lost with
   * its connection, e.g. a broker restart: JetStream sends the event again after its ack wait; or
   * nats-server killed before it wrote the consumer's state sends it again as new): acknowledged
   * again, not handed out a second time. Also the copies of an agent's notice handed out already
   * (notice-copies.ts: on Kafka one in each partition), live or durable.
   */
  get duplicates(): number {
    return this.#duplicates;
  }
  /** Events waiting in the buffer now. */
  get buffered(): number {
    return this.#items.length - this.#head;
  }
  get closed(): boolean {
    return this.#closed;
  }

  #deliver(event: BusEvent, ack: (() => void) | undefined, sequence: number | undefined, redelivered: boolean): void {
    if (this.#closed) return;
    if (ack !== undefined && sequence !== undefined) {
      // Sent again and acknowledged already: a copy. A new event may reuse an acknowledged sequence.
      if (redelivered && this.#acked.has(sequence)) {
        this.#duplicates++;
        ack();
        return;
      }
      const send = ack;
      // The set of its stream: one acknowledged after the stream was lost is not the new stream's.
      const acked = this.#acked;
      ack = () => {
        acked.add(sequence);
        send();
      };
    }
    if (!this.#accept(event)) {
      ack?.();
      return;
    }
    // A copy of an agent's notice handed out already (Kafka: one in each partition read).
    if (this.#notices.isCopy(event)) {
      this.#duplicates++;
      ack?.();
      return;
    }
    this.#received++;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#failWaiter = undefined;
      this.#handling = ack;
      this.#handlingKept = sequence !== undefined;
      waiter({ value: event, done: false });
      return;
    }
    this.#items.push({ event, ack, kept: sequence !== undefined });
    if (this.buffered > this.#limit) {
      this.#head++;
      this.#dropped++;
    }
    // Compact now and then so the array does not grow with the history.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  #malformedMessage(subject: string, data: Uint8Array, sequence: number | undefined): void {
    if (this.#closed) return;
    this.#malformed++;
    const hook = this.#onMalformed;
    if (hook === undefined) return;
    const error = new ClientError(ClientErrorCode.BAD_EVENT, `events: a message on ${subject} is not an fsbus event: ${eventProblem(data)}`);
    try {
      hook(sequence === undefined ? { subject, data, error } : { subject, data, sequence, error });
    } catch (err) {
      // The caller's hook failed: its error ends the stream, where the loop sees it (the driver
      // would only log it).
      this.#fail(err instanceof Error ? err : new Error(String(err)));
      void this.#unsubscribe();
    }
  }

  #gap(lostAt: Date, restoredAt: Date, lost: StreamLoss | undefined): void {
    if (this.#closed) return;
    // Without `lost` on a durable stream: the broker lost the stream (onStreamLost), and the new
    // one's sequences begin again — what was acknowledged of the old one says nothing of them.
    // (A live stream's outage has no sequences: nothing to forget.)
    if (lost === undefined) this.#acked = new AckedSequences();
    this.#gaps++;
    const hook = this.#onGap;
    if (hook === undefined) return;
    try {
      hook(lost === undefined ? { lostAt, restoredAt } : { lostAt, restoredAt, lost });
    } catch (err) {
      // As onMalformed's: the caller's hook failed, its error ends the stream where the loop sees it.
      this.#fail(err instanceof Error ? err : new Error(String(err)));
      void this.#unsubscribe();
    }
  }

  #ended(): void {
    const onEnd = this.#onEnd;
    this.#onEnd = undefined;
    onEnd?.();
  }

  #fail(err: Error): void {
    this.#error = err;
    this.#closed = true;
    // What the stream held goes back to the broker: the event in hand is no longer acknowledged.
    this.#handling = undefined;
    this.#handled?.();
    this.#ended();
    // A caller that retries with one signal would otherwise pile up a listener per failed stream.
    this.#offAbort?.();
    const fail = this.#failWaiter;
    this.#waiter = undefined;
    this.#failWaiter = undefined;
    fail?.(err);
  }

  /**
   * Acknowledges the durable event the loop is handling (the last one next() gave) now rather
   * than when the loop asks for the next one: e.g. before `break`, which does not acknowledge it
   * (for-await calls return() alike on `break` and on a throw out of the loop body). Works after a
   * close() from outside while close() waits for the loop (CLOSE_GRACE_MS). Does nothing on a live
   * stream, or once the stream failed, or the wait is over (what it held went back to the broker).
   */
  ack(): void {
    const ack = this.#handling;
    this.#handling = undefined;
    ack?.();
    this.#handled?.();
  }

  next(): Promise<IteratorResult<BusEvent>> {
    // The loop asks for more: it is done with the one it had.
    this.ack();
    if (this.#head < this.#items.length) {
      const item = this.#items[this.#head++]!;
      this.#handling = item.ack;
      this.#handlingKept = item.kept;
      return Promise.resolve({ value: item.event, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter !== undefined) return Promise.reject(new Error('EventStream.next() called while a previous next() is pending'));
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  async return(): Promise<IteratorResult<BusEvent>> {
    // The loop left (break, a throw): the event it was handling is not acknowledged.
    this.#handling = undefined;
    this.#handled?.();
    await this.closeAndWait();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Stops handing out events; a pending next() ends the iteration. Idempotent. While the loop
   * handles a named durable's event, the subscription stays until the loop is done with it (its
   * next next(), which then ends the iteration, ack(), or leaving it) or CLOSE_GRACE_MS pass, so
   * that event can still be acknowledged; close() does not wait for that (its caller may be the
   * loop itself): it resolves once nothing more will be handed out. closeAndWait() also waits.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#waitingForLoop ? Promise.resolve() : this.#closing;
  }

  /** close(), resolved only once the subscription is gone: what bus.close() waits for before it closes the connection. */
  closeAndWait(): Promise<void> {
    void this.close();
    return this.#closing!;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#ended();
    this.#offAbort?.();
    // Buffered events are not acknowledged: they go back to the broker.
    this.#items = [];
    this.#head = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    this.#failWaiter = undefined;
    waiter?.({ value: undefined, done: true });
    if (this.#handling !== undefined && this.#handlingKept) {
      // Closed while the loop handles an event (from a signal handler, bus.close(), an abort, or
      // the loop body): its ack needs the subscription (an AMQP channel, the NAKs of unsubscribe),
      // so the loop gets a bounded while to be done with it. return() (break, a throw) has let it go.
      this.#waitingForLoop = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_GRACE_MS);
        // The wait never holds the process open by itself.
        timer.unref();
        this.#handled = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#handled = undefined;
      this.#waitingForLoop = false;
    }
    // Not done with it (in time): not acknowledged, the broker delivers it again; a later ack() does nothing.
    this.#handling = undefined;
    // A subscription still being set up is torn down as soon as it exists.
    await this.ready.catch(() => undefined);
    await this.#unsubscribe();
  }

  async #unsubscribe(): Promise<void> {
    const subs = this.#subs;
    this.#subs = [];
    // A driver whose sockets are already closed may throw, even synchronously: the stream is
    // ending anyway, so neither stops the others nor reaches close()'s caller.
    await Promise.all(subs.map((s) => Promise.resolve().then(() => s.unsubscribe()).catch(() => undefined)));
  }
}
