/**
 * zeromq 6 allows one send in progress per socket: this bounded queue feeds a socket in order.
 * When full, the oldest message is dropped and counted (like the Outbox). A send that fails
 * (socket closed, peer unroutable, its queue full) is dropped, counted and logged too. Either way
 * the message's `unsent` hook hears of it first (a request can then fail at once). An event
 * publish() said 'sent' for goes to `droppedAfterSend` instead of being counted here: the driver
 * counts it and tells its publisher (PublishOptions.onDroppedAfterSend). `hold()` keeps what is
 * written queued (still bounded, in order) until a promise settles: a new PUB's start hold.
 */
import { LogThrottle } from '@fsbus/esl';
import type { Writable } from 'zeromq';
import type { DriverLogger } from '../../driver.js';
import type { OutboxItem } from '../../outbox.js';

interface Outgoing {
  frames: Buffer[];
  unsent: ((err: unknown) => boolean) | undefined;
  /** The published event these frames carry, when they do. */
  event: OutboxItem | undefined;
}

/** What `unsent` hears for a message pushed out of the full queue for newer ones (never handed to the socket). */
export class PushedOutError extends Error {}

export class ZmqWriter {
  readonly #socket: Writable;
  readonly #max: number;
  /** One line per burst: a peer gone or full can fail thousands of sends in a row. */
  readonly #failedLog: LogThrottle;
  readonly #fullLog: LogThrottle;
  readonly #droppedAfterSend: ((event: OutboxItem) => void) | undefined;
  #queue: Outgoing[] = [];
  /** The send loop runs (set before it starts, cleared by it as it ends); `#running` is its promise. */
  #sending = false;
  #running: Promise<void> = Promise.resolve();
  /** Until it settles nothing goes to the socket (hold()). */
  #held: Promise<void> | undefined;
  dropped = 0;
  sent = 0;

  constructor(socket: Writable, maxMessages: number, logger?: DriverLogger, droppedAfterSend?: (event: OutboxItem) => void) {
    this.#socket = socket;
    this.#max = Math.max(1, maxMessages);
    this.#droppedAfterSend = droppedAfterSend;
    this.#failedLog = new LogThrottle((fields, msg) => logger?.warn(fields, msg), 'zmq send failed, dropped');
    this.#fullLog = new LogThrottle((fields, msg) => logger?.warn(fields, msg), 'zmq send queue full, oldest dropped');
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Nothing is sent before `released` settles; what is written meanwhile waits in the bounded queue, in order. */
  hold(released: Promise<void>): void {
    this.#held = released;
  }

  /**
   * Queues a message. `unsent` is called when it is not sent after all: pushed out of the full
   * queue, or refused by the socket. It may claim that as expected (true: neither counted nor
   * logged), e.g. an announcement to a peer that has left. `event`: the published event the frames
   * carry, handed to `droppedAfterSend` if they are not sent.
   */
  write(frames: Buffer[], unsent?: (err: unknown) => boolean, event?: OutboxItem): void {
    if (this.#queue.length >= this.#max) {
      const oldest = this.#queue.shift()!;
      if (oldest.unsent?.(new PushedOutError(`zmq send queue full (${this.#max} messages): the oldest was dropped`)) !== true) {
        this.#drop(oldest);
        this.#fullLog.hit({ max: this.#max });
      }
    }
    this.#queue.push({ frames, unsent, event });
    if (!this.#sending) {
      this.#sending = true;
      this.#running = this.#run();
    }
  }

  async #run(): Promise<void> {
    if (this.#held !== undefined) {
      await this.#held;
      this.#held = undefined;
    }
    for (;;) {
      const message = this.#queue.shift();
      if (message === undefined) {
        // Cleared in the same microtask the queue is seen empty: a `.finally` a tick later left a
        // write in between queued behind a loop that had ended.
        this.#sending = false;
        return;
      }
      try {
        await this.#socket.send(message.frames);
        this.sent++;
      } catch (err) {
        if (message.unsent?.(err) === true) continue;
        this.#drop(message);
        this.#failedLog.hit({ err });
      }
    }
  }

  /** Resolves once everything queued so far went to the socket. */
  async idle(): Promise<void> {
    while (this.#sending) await this.#running;
  }

  /** Counted here, or by the driver for an event (which tells its publisher). */
  #drop(message: Outgoing): void {
    if (message.event !== undefined && this.#droppedAfterSend !== undefined) this.#droppedAfterSend(message.event);
    else this.dropped++;
  }

  /** Drops what is left (closing); counted, not handed back: a stopping publisher counts what is pending as discarded already. */
  discard(): void {
    this.dropped += this.#queue.length;
    this.#queue = [];
    this.#failedLog.flush();
    this.#fullLog.flush();
  }
}
