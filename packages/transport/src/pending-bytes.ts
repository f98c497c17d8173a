/**
 * The write window of a driver whose broker settles every publish (AMQP's publisher confirms, a
 * Redis command's reply): the bytes handed to the connection and not settled yet. A client library
 * writes into its socket without bound, so over a link that hangs without closing, or a broker
 * slower than the driver, everything published would pile up in the socket's buffer; past `limit`
 * the driver holds what comes next in its bounded outbox instead (DriverCore's `writeWindow`).
 */
export class PendingBytes {
  readonly limit: number;
  readonly #onSettled: () => void;
  #pending = 0;

  /** `onSettled`: a publish settled, there may be room now (the driver's `releaseHeld`). */
  constructor(limit: number, onSettled: () => void = () => undefined) {
    this.limit = limit;
    this.#onSettled = onSettled;
  }

  /** More than `limit` bytes are pending: hold what comes next. */
  get full(): boolean {
    return this.#pending > this.limit;
  }

  /**
   * A publish of `bytes` was handed to the connection; call what this returns, once, when it is
   * settled: confirmed, refused, or failed with its connection.
   */
  add(bytes: number): () => void {
    this.#pending += bytes;
    return () => {
      this.#pending -= bytes;
      this.#onSettled();
    };
  }
}
