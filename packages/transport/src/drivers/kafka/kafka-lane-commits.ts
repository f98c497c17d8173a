/**
 * Commit-before-run for a shared group's reader (a competing lane, a queue subscription): each
 * record is run by the member whose commit of its offset the group accepted, and by nobody else.
 *
 * The commit is fenced by the generation: it is sent with the generation and member id of the
 * assignment the member holds, never again under a later one, so the broker accepts it only while
 * that assignment is the group's (Kafka refuses a commit of an ended generation, or one made while
 * the next is being handed out). Accepted: the group has moved past the record in a generation
 * where this member owned its partition, so no later owner reads it, and this member runs it
 * whatever happened meanwhile. Refused: the record is not run under that generation, and the
 * group's offset is still at or before it, so the partition's next owner reads it.
 *
 * The library's own commit did not do that. A commit asked for while the member was rejoining was
 * held and sent after the rejoin, under the new generation, and one refused for a rebalance was
 * sent again after joining: the broker checks a generation, not who owns the partition, so it was
 * accepted — for a partition handed to another member meanwhile. The reader then dropped the record
 * (not its partition any more), while the new owner, having read the group's offset after that
 * commit, started past it: run by nobody (`packages/transport/test/kafka-lane-rebalance.test.ts`).
 *
 * Between a rejoin and the new assignment's start positions, nothing is committed; records wait,
 * and so do those whose commit was refused: the next assignment runs them if it keeps their
 * partition (the library's own reading again after a rejoin is not enough: a fetch answered after
 * the rejoin moves its position past them again), and leaves them to the new owner otherwise.
 * An assignment takes its floor from the group's committed offsets read after the rejoin: a record
 * below it was run already (a copy the library fetched before the rebalance, or read again after
 * it). One commit at a time per partition, covering every record that waited for it, and only ever
 * forward within an assignment; after a refused one, nothing more of that partition is committed
 * until the next assignment (the records after it would skip it).
 */
import type { DriverLogger } from '../../driver.js';
import type { KafkaMessage } from './kafka-wire.js';

/** What a member was assigned at one join: committed under `generation` only. */
export interface FencedAssignment {
  generation: number;
  memberId: string;
  /** Partitions of the topic this member owns in that generation. */
  partitions: Set<number>;
  /** Per partition, the group's committed offset (or the anchored start) after the join: below it, run already. */
  floor: Map<number, bigint>;
}

/** Sends one OffsetCommit under `a`'s generation and member id, not retried under another. */
export type FencedCommit = (a: FencedAssignment, partition: number, offset: bigint) => Promise<void>;

/** The broker's answers that mean the assignment is over (or ending): the partition's next owner reads the record. */
const FENCED = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID', 'STALE_MEMBER_EPOCH', 'FENCED_MEMBER_EPOCH']);

/** Whether a commit was refused because the group moved on (not a broker fault). */
export function isFenced(err: unknown): boolean {
  const errors = (err as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.some((e) => FENCED.has((e as { apiId?: unknown } | null)?.apiId as string));
}

interface PartitionQueue {
  waiting: KafkaMessage[];
  committing: boolean;
}

export class FencedCommits {
  readonly #commit: FencedCommit;
  readonly #deliver: (m: KafkaMessage) => void;
  readonly #onFault: (err: Error) => void;
  readonly #logger: DriverLogger | undefined;
  readonly #fields: { topic: string; group: string };
  #assignment: FencedAssignment | undefined;
  /** Per partition, the next offset to commit under the current assignment. */
  #next = new Map<number, bigint>();
  readonly #partitions = new Map<number, PartitionQueue>();
  /** Commits sent and not answered yet (with the running of what they cover). */
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;
  /** Counts joins: an assignment read for an earlier one is not taken. */
  #epoch = 0;

  /**
   * @param deliver runs a record whose commit was accepted
   * @param onFault a commit failed for another reason than the group moving on: the reader starts
   *   over (from the committed offset), or the records after it would be committed past it
   */
  constructor(fields: { topic: string; group: string }, commit: FencedCommit, deliver: (m: KafkaMessage) => void, onFault: (err: Error) => void, logger?: DriverLogger) {
    this.#fields = fields;
    this.#commit = commit;
    this.#deliver = deliver;
    this.#onFault = onFault;
    this.#logger = logger;
  }

  /** The assignment in force (undefined while the member rejoins). */
  get assignment(): FencedAssignment | undefined {
    return this.#assignment;
  }

  /** Which join the assignment being read belongs to (pass it to assign()). */
  get epoch(): number {
    return this.#epoch;
  }

  /** The member (re)joined: nothing is committed until the new assignment's start positions are known. */
  suspend(): void {
    this.#epoch++;
    this.#assignment = undefined;
  }

  /** Takes `a`, read for join `epoch`, unless the member joined again since. */
  assign(a: FencedAssignment, epoch: number): void {
    if (this.#stopped || epoch !== this.#epoch) return;
    this.#assignment = a;
    this.#next = new Map(a.floor);
    for (const partition of this.#partitions.keys()) this.#pump(partition);
  }

  push(m: KafkaMessage): void {
    if (this.#stopped) return;
    let q = this.#partitions.get(m.partition);
    if (q === undefined) this.#partitions.set(m.partition, (q = { waiting: [], committing: false }));
    q.waiting.push(m);
    this.#pump(m.partition);
  }

  /**
   * The reader's attempt ended: waiting records are dropped (uncommitted: the next attempt, or the
   * partition's next owner, reads them). Resolves once the commits already sent are answered and
   * what they covered has run: accepted, nobody else will run it.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#assignment = undefined;
    this.#partitions.clear();
    await Promise.all(this.#inFlight);
  }

  #pump(partition: number): void {
    const q = this.#partitions.get(partition);
    const a = this.#assignment;
    if (q === undefined || q.committing || a === undefined || q.waiting.length === 0) return;
    if (!a.partitions.has(partition)) {
      // Not (or no longer) this member's: its owner reads them from the group's offset.
      this.#logger?.debug({ ...this.#fields, partition, records: q.waiting.length }, 'records of a partition this member does not own skipped, left to its owner');
      q.waiting = [];
      return;
    }
    const batch: KafkaMessage[] = [];
    let next = this.#next.get(partition);
    for (const m of q.waiting) {
      if (next !== undefined && m.offset < next) {
        this.#logger?.debug({ ...this.#fields, partition, offset: String(m.offset) }, 'record below the group\'s offset skipped: it was run already');
        continue;
      }
      batch.push(m);
      next = m.offset + 1n;
    }
    q.waiting = [];
    if (batch.length === 0 || next === undefined) return;
    this.#next.set(partition, next);
    q.committing = true;
    const offset = next;
    const sent: Promise<void> = this.#commit(a, partition, offset).then(
      () => {
        // Accepted under the generation that owned the partition: these are this member's to run,
        // even if the partition moved since (its new owner starts after them).
        for (const m of batch) this.#deliver(m);
      },
      (err: unknown) => {
        const fields = { ...this.#fields, err, partition, offset: String(batch[0]!.offset), records: batch.length };
        if (isFenced(err)) {
          // The generation is over (or ending): nothing more is committed under it. The records wait
          // for the next assignment, which runs them if it keeps the partition (the library does not
          // always read them again: a fetch answered after its rejoin moves its position past them)
          // and leaves them to the partition's new owner otherwise.
          if (this.#assignment === a) this.#assignment = undefined;
          if (!this.#stopped) q.waiting.unshift(...batch);
          this.#logger?.debug(fields, 'commit refused (the group rebalances): the records wait for the next assignment');
        } else {
          // Nothing more of this partition under this assignment: records after these would skip them.
          if (this.#assignment === a) a.partitions.delete(partition);
          this.#logger?.warn(fields, 'kafka reader could not commit a record before running it: reading again from the committed offset');
          this.#onFault(err instanceof Error ? err : new Error(String(err)));
        }
      },
    ).finally(() => {
      this.#inFlight.delete(sent);
      q.committing = false;
      if (!this.#stopped) this.#pump(partition);
    });
    this.#inFlight.add(sent);
  }
}
