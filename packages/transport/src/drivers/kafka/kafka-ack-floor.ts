/**
 * A durable Kafka consumer's acknowledgements. Its group's committed offset is the ack floor of
 * each partition: the first offset handed out and not acknowledged yet (every one before it was),
 * so the next start delivers again what the application never acknowledged. (Committing each
 * acknowledged record's offset moved the group past the ones still waiting before it.)
 *
 * At most `maxInFlight` records are out unacknowledged: past that the reader is held (its stream
 * paused, so nothing more is fetched) until acknowledgements make room.
 *
 * A partition's records come in offset order. One at or below the highest offset seen comes again
 * only when the reader started over from the committed offset (a broker fault): it was handed out
 * or filtered out already, and is not handed out twice.
 */
import type { DriverLogger } from '../../driver.js';
import { durableMaxInFlight } from '../../defaults.js';


/** The reader the floor commits through and holds back. */
export interface FloorReader {
  /** Commits `offset` (the next to read) on `partition`. */
  commit(partition: number, offset: bigint): Promise<void>;
  hold(): void;
  release(): void;
}

interface Handed {
  offset: bigint;
  acked: boolean;
}

class PartitionFloor {
  /** Highest offset seen (handed out or filtered out). */
  seen = -1n;
  /** Handed out, in order; those before `head` are acknowledged and wait to be compacted away. */
  out: Handed[] = [];
  head = 0;
  /** What to commit: every handed-out offset below it is acknowledged. */
  floor: bigint | undefined;
  committed: bigint | undefined;
  committing: Promise<void> | undefined;
  /** The last commit failed: the next failures are not warned about again. */
  failing = false;
}

export class AckFloor {
  readonly #maxInFlight: number;
  readonly #reader: FloorReader;
  readonly #logger: DriverLogger | undefined;
  readonly #partitions = new Map<number, PartitionFloor>();
  #unacked = 0;
  #held = false;
  /** The consumer stopped: a late acknowledgement has no reader to commit through. */
  #stopped = false;

  constructor(maxInFlight: number | undefined, reader: FloorReader, logger?: DriverLogger) {
    this.#maxInFlight = durableMaxInFlight(maxInFlight);
    this.#reader = reader;
    this.#logger = logger;
  }

  /** Records currently out and not acknowledged. */
  get unacked(): number {
    return this.#unacked;
  }

  /** False for a record seen before (a re-read after the reader started over): not to be handed out again. */
  fresh(partition: number, offset: bigint): boolean {
    const p = this.#partition(partition);
    if (offset > p.seen) {
      p.seen = offset;
      return true;
    }
    // The re-read follows a restart, whose consumer may not have had the last commit.
    this.#flush(partition, p);
    return false;
  }

  /** Counts the record as out; returns its acknowledgement (idempotent). */
  handOut(partition: number, offset: bigint): () => void {
    const p = this.#partition(partition);
    const entry: Handed = { offset, acked: false };
    p.out.push(entry);
    if (++this.#unacked >= this.#maxInFlight && !this.#held) {
      this.#held = true;
      this.#reader.hold();
    }
    return () => this.#ack(partition, p, entry);
  }

  /** The reader is closed: acknowledgements from now on are ignored (the next start delivers those events again). */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves once no commit is under way (the last one landed, or failed and was logged). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.#partitions.values()].map((p) => p.committing).filter((c) => c !== undefined);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  #partition(partition: number): PartitionFloor {
    let p = this.#partitions.get(partition);
    if (p === undefined) this.#partitions.set(partition, (p = new PartitionFloor()));
    return p;
  }

  #ack(partition: number, p: PartitionFloor, entry: Handed): void {
    if (entry.acked || this.#stopped) return;
    entry.acked = true;
    if (--this.#unacked < this.#maxInFlight && this.#held) {
      this.#held = false;
      this.#reader.release();
    }
    const from = p.head;
    while (p.head < p.out.length && p.out[p.head]!.acked) p.head++;
    if (p.head === from) return;
    p.floor = p.head < p.out.length ? p.out[p.head]!.offset : p.out[p.head - 1]!.offset + 1n;
    // Compacted now and then, so the array does not grow with the history.
    if (p.head === p.out.length || p.head > 1024) {
      p.out = p.out.slice(p.head);
      p.head = 0;
    }
    this.#flush(partition, p);
  }

  /** One commit at a time per partition, of the newest floor (acks in a burst make one or two). */
  #flush(partition: number, p: PartitionFloor): void {
    if (p.committing !== undefined || p.floor === undefined || p.floor === p.committed) return;
    const offset = p.floor;
    let landed = false;
    p.committing = this.#reader
      .commit(partition, offset)
      .then(
        () => {
          landed = true;
          p.failing = false;
          p.committed = offset;
        },
        // Committed by the next acknowledgement, or the re-read after the reader starts over;
        // until then a restart delivers again from the last floor committed.
        (err: unknown) => {
          const fields = { err, partition, offset: String(offset) };
          if (p.failing) this.#logger?.debug(fields, 'kafka stream acks not committed');
          else this.#logger?.warn(fields, 'kafka stream acks not committed');
          p.failing = true;
        },
      )
      .finally(() => {
        p.committing = undefined;
        if (landed) this.#flush(partition, p);
      });
  }
}
