/**
 * zeromq 6 allows one send in progress per socket: this bounded queue feeds a socket in order.
 * When full, the oldest message is dropped and counted (like the Outbox). A send that fails
 * (socket closed, peer unroutable, its queue full) is dropped, counted and logged too.
 */
import type { Writable } from 'zeromq';
import type { DriverLogger } from '../../driver.js';

interface Outgoing {
  frames: Buffer[];
  unsent: ((err: unknown) => boolean) | undefined;
}

export class ZmqWriter {
  readonly #socket: Writable;
  readonly #max: number;
  readonly #logger: DriverLogger | undefined;
  #queue: Outgoing[] = [];
  #running: Promise<void> | undefined;
  dropped = 0;
  sent = 0;

  constructor(socket: Writable, maxMessages: number, logger?: DriverLogger) {
    this.#socket = socket;
    this.#max = Math.max(1, maxMessages);
    this.#logger = logger;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues a message. `unsent` may claim a failed send as expected (true: neither counted nor
   * logged), e.g. an announcement to a peer that has left.
   */
  write(frames: Buffer[], unsent?: (err: unknown) => boolean): void {
    if (this.#queue.length >= this.#max) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#queue.push({ frames, unsent });
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
  }

  async #run(): Promise<void> {
    for (;;) {
      const message = this.#queue.shift();
      if (message === undefined) return;
      try {
        await this.#socket.send(message.frames);
        this.sent++;
      } catch (err) {
        if (message.unsent?.(err) === true) continue;
        this.dropped++;
        this.#logger?.warn({ err }, 'zmq send failed, dropped');
      }
    }
  }

  /** Resolves once everything queued so far went to the socket. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Drops what is left (closing); counted. */
  discard(): void {
    this.dropped += this.#queue.length;
    this.#queue = [];
  }
}
