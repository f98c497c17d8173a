/**
 * zeromq 6 allows one send in progress per socket: this bounded queue feeds a socket in order.
 * When full, the oldest message is dropped and counted (like the Outbox). A send that fails
 * (socket closed, peer unroutable) is dropped and counted too.
 */
import type { Writable } from 'zeromq';
import type { DriverLogger } from '../../driver.js';

export class ZmqWriter {
  readonly #socket: Writable;
  readonly #max: number;
  readonly #logger: DriverLogger | undefined;
  #queue: Buffer[][] = [];
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

  write(frames: Buffer[]): void {
    if (this.#queue.length >= this.#max) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#queue.push(frames);
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
  }

  async #run(): Promise<void> {
    for (;;) {
      const frames = this.#queue.shift();
      if (frames === undefined) return;
      try {
        await this.#socket.send(frames);
        this.sent++;
      } catch (err) {
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
