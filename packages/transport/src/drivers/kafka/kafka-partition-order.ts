/**
 * A lane's records are handled in the order of their partition, also when one of them waits (its
 * reply topic asked of the broker, kafka-serve.ts): the records behind it wait too. Two copies of
 * one request land in one partition, so the first is recorded as run before the second is looked
 * at, and a command never overtakes one sent before it.
 */
import type { DriverLogger } from '../../driver.js';

/**
 * Runs each record's step in arrival order per partition. A step that returns a promise (a reply
 * topic asked of the broker) holds the records of its partition behind it until it settles; while
 * none waits, a step runs at once, in the reader's callback, as before.
 */
export class PartitionOrder {
  readonly #tails = new Map<number, Promise<void>>();
  readonly #logger: DriverLogger | undefined;

  constructor(logger: DriverLogger | undefined) {
    this.#logger = logger;
  }

  /** The record's step; a promise (settled, never rejecting) while it waits, so a close can wait for it. */
  run(partition: number, step: () => void | Promise<void>): Promise<void> | undefined {
    const tail = this.#tails.get(partition);
    const out = tail === undefined ? step() : tail.then(step);
    if (out === undefined) return undefined;
    const settled = out.catch((err: unknown) => this.#logger?.error({ err, partition }, 'kafka lane record handling failed'));
    this.#tails.set(partition, settled);
    void settled.then(() => {
      if (this.#tails.get(partition) === settled) this.#tails.delete(partition);
    });
    return settled;
  }
}

