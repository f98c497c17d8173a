/**
 * The write window of a driver whose broker settles every publish (AMQP's publisher confirms, a
 * Redis command's reply): the bytes handed to the connection and not settled yet. A client library
 * writes into its socket without bound, so over a link that hangs without closing, or a broker
 * slower than the driver, everything published would pile up in the socket's buffer; past `limit`
 * the driver holds what comes next in its bounded outbox instead (DriverCore's `writeWindow`).
 */
export class PendingBytes {
  readonly limit: number;
  #pending = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** More than `limit` bytes are pending: hold what comes next. */
  get full(): boolean {
    return this.#pending > this.limit;
  }

  /** A publish of `bytes` was handed to the connection. */
  add(bytes: number): void {
    this.#pending += bytes;
  }

  /** A publish of `bytes` was settled: confirmed, refused, or failed with its connection. */
  settle(bytes: number): void {
    this.#pending -= bytes;
  }
}
