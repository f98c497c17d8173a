/**
 * A durable consumer's flow control: how many entries are handed out and not acknowledged by the
 * application, at most `maxInFlight` (driver.ts). The reader asks Redis for no more than `free`,
 * and waits in `room()` while there is none: what it does not read stays in the stream (or the
 * group's pending list), where nothing is lost however slow the application is.
 */
import { durableMaxInFlight } from '../../defaults.js';

export class InFlight {
  readonly #max: number;
  #out = 0;
  #wake: (() => void) | undefined;

  constructor(maxInFlight: number | undefined) {
    this.#max = durableMaxInFlight(maxInFlight);
  }

  /** How many more may be handed out now. */
  get free(): number {
    return this.#max - this.#out;
  }

  /** Counts one as out; returns its acknowledgement, which runs `ack` and makes room once. */
  handOut(ack: () => void): () => void {
    this.#out++;
    let acked = false;
    return () => {
      if (acked) return;
      acked = true;
      this.#out--;
      ack();
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.();
    };
  }

  /** Resolves once there is room for one more (at once if there is), or when `stop` aborts. */
  room(stop: AbortSignal): Promise<void> {
    if (this.free > 0 || stop.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        stop.removeEventListener('abort', done);
        resolve();
      };
      this.#wake = done;
      stop.addEventListener('abort', done, { once: true });
    });
  }
}
