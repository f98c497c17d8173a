/**
 * One consumer-group reader of one topic: what a lane, a subscription or an inbox is on Kafka.
 * `ready` resolves once the group is joined and the read positions are fixed, so a message
 * produced after it is seen (the driver's flush() waits on it). When the broker goes away the
 * stream fails; the reader starts over with backoff until closed. An attempt that neither fails
 * nor gets positioned within POSITION_TIMEOUT_MS (a join or offset lookup the library never
 * answers) is abandoned and started over the same way: a reader is never stuck silently.
 *
 * A shared group ('committed') starts a partition nobody committed at its end. Left at that, a
 * partition the group had not read from yet was started at its end AGAIN after a restart or a
 * rebalance, and what was written to it meanwhile (requests while an agent restarted, or while the
 * broker stalled) was skipped unseen. So the first position a member takes on such a partition is
 * committed ("anchored") before any record of it is handed over.
 *
 * A direct lane's private group anchors its start positions too (`anchor`), though it never
 * resumes from them: Kafka drops every empty group without committed offsets whenever any topic is
 * deleted (a requester's reply topic at its close) or at its periodic clean-up, and a lane whose
 * stopped reader's group is gone reads as served again (kafka-served.ts).
 *
 * A topic deleted while the reader runs fails its attempts with "unknown topic": `onMissingTopic`
 * (the driver's: forget the topic, create it again) runs before the next attempt, so the reader
 * reads again instead of retrying a topic that will never come back.
 */
import type { BaseOptions, Message, MessagesStream } from '@platformatic/kafka';
import type { DriverLogger } from '../../driver.js';
import { closeConsumer, ensurePromiseWithResolvers, newConsumer, RECONNECT_MAX_MS, RECONNECT_MIN_MS, type KafkaConsumer } from './kafka-options.js';
import { isUnknownTopic } from './kafka-wire.js';
import { timeLimit } from '../driver-core.js';
import { offsetCommitApi } from './kafka-durable-filter.js';
import { FencedCommits, isFenced, type FencedAssignment } from './kafka-lane-commits.js';

export interface ReaderSpec {
  topic: string;
  group: string;
  /** 'committed' resumes a shared group where it stopped (new groups start at the end). */
  mode: 'latest' | 'earliest' | 'committed' | 'manual';
  /** Where a group without committed offsets starts. @default 'latest' */
  fallback?: 'latest' | 'earliest';
  /** Start positions for mode 'manual'. */
  offsets?: Array<{ topic: string; partition: number; offset: bigint }>;
  /**
   * Competing lanes: commit each message's offset BEFORE handing it over, under the generation of
   * the assignment held, and drop it when the commit is refused (the partition's next owner reads
   * it). At most once, never twice, and nothing lost while members join or leave (kafka-lane-commits.ts).
   */
  commitEach: boolean;
  /** Commit the start positions even though the group does not resume from them, so it outlives its member. */
  anchor?: boolean;
}

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** The `group.instance.id` of a private group's only member (unique within its group is enough). */
const STATIC_INSTANCE_ID = 'fsbus-reader';

/** An attempt must join its group and fix its positions within this (a rebalance may take 10 s). @default 20000 */
export const POSITION_TIMEOUT_MS = 20_000;
/** Closing a consumer that hangs is given up after this; the attempt goes on without it. @default 10000 */
export const SHUTDOWN_TIMEOUT_MS = 10_000;
/** A reader that had read its topic finds it gone: deleted meanwhile (warn). */
export const READER_TOPIC_GONE_LOG = 'kafka reader: its topic is gone (deleted?): creating it again';
/** A reader that never read its topic finds none: never created, or not yet known to the broker asked (info). */
export const READER_TOPIC_MISSING_LOG = 'kafka reader: its topic does not exist (yet): creating it';

/** How long a reader waits on the library before it starts over or gives up (tests shorten them). */
export interface ReaderLimits {
  positionTimeoutMs: number;
  shutdownTimeoutMs: number;
}
const DEFAULT_LIMITS: ReaderLimits = { positionTimeoutMs: POSITION_TIMEOUT_MS, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS };

export class KafkaReader {
  readonly spec: ReaderSpec;
  readonly #base: BaseOptions;
  readonly #onMessage: (m: KafkaMessage) => void;
  readonly #logger: DriverLogger | undefined;
  readonly #limits: ReaderLimits;
  #consumer: KafkaConsumer | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #closed = false;
  /** Attempts failed in a row: the backoff grows with it. */
  #failures = 0;
  /** Next offset per `topic:partition`, so a restarted reader goes on where it stopped. */
  readonly #next = new Map<string, bigint>();
  #retryTimer: NodeJS.Timeout | undefined;
  #positionTimer: NodeJS.Timeout | undefined;
  /** Counts attempts, so a late answer to an abandoned one is recognised and closed. */
  #generation = 0;
  #positioned = false;
  /** Set while this member commits its start positions; record commits wait for it. */
  #anchoring: Promise<void> | undefined;
  /** The commit-before-run of the current attempt (commitEach). */
  #commits: FencedCommits | undefined;
  /** The OffsetCommit version the broker and the driver share, asked once. */
  #offsetCommit: ReturnType<typeof offsetCommitApi> | undefined;
  #readyResolve!: () => void;
  /** Resolves the first time the reader is positioned (or when it is closed before that). */
  readonly ready: Promise<void>;
  /** Runs before the attempt after one that found the topic missing; a rejection is logged, the attempt made all the same. */
  onMissingTopic: (() => Promise<void>) | undefined;
  /** Runs first when the reader is closed, its consumer still there (a durable's last commit); it must be bounded. */
  beforeClose: (() => Promise<void>) | undefined;
  /** Held by hold(): no record handed over, none fetched, across restarts too, until release(). */
  #held = false;

  constructor(base: BaseOptions, spec: ReaderSpec, onMessage: (m: KafkaMessage) => void, logger?: DriverLogger, limits: ReaderLimits = DEFAULT_LIMITS) {
    ensurePromiseWithResolvers();
    this.#limits = limits;
    this.#base = base;
    this.spec = spec;
    this.#onMessage = onMessage;
    this.#logger = logger;
    this.ready = new Promise((resolve) => (this.#readyResolve = resolve));
  }

  start(): void {
    this.#launch();
  }

  /** One attempt; whatever it throws (the library's constructor validates its options) starts over. */
  #launch(): void {
    this.#run().catch((err: unknown) => this.#retry(err instanceof Error ? err : new Error(String(err))));
  }

  /** Joined and positioned at least once (what flush() waits for). */
  get positioned(): boolean {
    return this.#positioned;
  }

  async #run(): Promise<void> {
    if (this.#closed) return;
    const generation = ++this.#generation;
    // An abandoned attempt's anchor (its consumer is being closed) must not hold this one's commits.
    this.#anchoring = undefined;
    clearTimeout(this.#positionTimer);
    const { positionTimeoutMs } = this.#limits;
    this.#positionTimer = setTimeout(() => {
      this.#logger?.warn({ topic: this.spec.topic, group: this.spec.group, timeout_ms: positionTimeoutMs }, 'kafka reader not positioned in time: starting over');
      this.#retry(new Error(`not positioned within ${positionTimeoutMs} ms`));
    }, positionTimeoutMs);
    const consumer = newConsumer(
      {
        ...this.#base,
        groupId: this.spec.group,
        // A private group (every mode but 'committed') has this one member: joining as a static
        // member lets a rejoin after a broker restart take the stale member's place at once, where
        // a dynamic member waited for that member's session to expire (≈9 s of nothing read).
        ...(this.spec.mode === 'committed' ? {} : { groupInstanceId: STATIC_INSTANCE_ID }),
        sessionTimeout: 10_000,
        rebalanceTimeout: 10_000,
        heartbeatInterval: 500,
        maxWaitTime: 500,
      },
      // A failed group rejoin: the library stops heartbeating, so this attempt reads nothing more.
      // Its stream usually fails as well; whichever comes first starts over, the other is stale.
      (err) => {
        if (generation === this.#generation && !this.#closed) this.#retry(err);
        else this.#logger?.debug({ err, topic: this.spec.topic, group: this.spec.group }, 'kafka consumer error after its attempt ended');
      },
    );
    this.#consumer = consumer;
    // A group-less position (not 'committed') that was reached once is resumed exactly after a restart.
    const resume = this.spec.mode !== 'committed' && this.#next.size > 0;
    const offsets = resume
      ? [...this.#next].map(([key, offset]) => ({ topic: this.spec.topic, partition: Number(key.slice(key.lastIndexOf(':') + 1)), offset }))
      : this.spec.offsets;
    const mode = resume ? 'manual' : this.spec.mode;
    try {
      const stream = await consumer.consume({
        topics: [this.spec.topic],
        mode,
        fallbackMode: this.spec.fallback ?? (this.spec.mode === 'earliest' ? 'earliest' : 'latest'),
        ...(offsets === undefined || mode !== 'manual' ? {} : { offsets }),
        autocommit: false,
      });
      if (this.#closed || generation !== this.#generation) {
        // Closed, or abandoned by the watchdog while joining: this attempt's clients are not ours any more.
        await closeQuietly(stream, consumer);
        return;
      }
      this.#stream = stream;
      // Paused before it flows: not one record of a held reader is handed over.
      if (this.#held) stream.pause();
      // Competing: a record runs once the group accepted its commit under this member's
      // generation, and is left to the partition's next owner otherwise (kafka-lane-commits.ts).
      const commits = this.spec.commitEach ? this.#fencedCommits(consumer, generation) : undefined;
      /** The member (re)joined: the next 'offsets' carries the new assignment's start positions. */
      let joined = true;
      if (commits !== undefined) {
        consumer.on('consumer:group:join', () => {
          if (generation !== this.#generation) return;
          commits.suspend();
          joined = true;
        });
      }
      stream.on('data', (m: KafkaMessage) => {
        // Closing: no new record is handed over (one whose commit was accepted still runs).
        if (this.#closed) return;
        this.#next.set(`${m.topic}:${m.partition}`, m.offset + 1n);
        if (commits === undefined) this.#deliver(m);
        else commits.push(m);
      });
      stream.on('error', (err: Error) => {
        if (generation === this.#generation) this.#retry(err);
      });
      const anchored = this.spec.mode === 'committed' || this.spec.anchor === true || commits !== undefined;
      const onOffsets = () => {
        if (generation !== this.#generation) return;
        if (commits === undefined) this.#anchor(consumer, stream);
        // Mid-rejoin (generation and assignment may not match yet): the join's own 'offsets' follows.
        else if (joined && consumer.isActive()) {
          joined = false;
          this.#assignFenced(consumer, stream, commits);
        }
      };
      // Every assignment (the first and each rebalance's) announces its positions with 'offsets'.
      if (anchored) stream.on('offsets', onOffsets);
      const positioned = () => {
        if (generation !== this.#generation) return;
        // An anchored group's member is positioned once its start positions are committed as well.
        if (anchored && this.#anchoring !== undefined) {
          void this.#anchoring.then(() => {
            if (generation === this.#generation) this.#onPositioned();
          });
        } else this.#onPositioned();
      };
      if (stream.offsetsToFetch.size > 0) {
        if (anchored) onOffsets();
        positioned();
      } else stream.once('offsets', positioned);
    } catch (err) {
      if (generation === this.#generation) this.#retry(err as Error);
      else await closeQuietly(undefined, consumer);
    }
  }

  /** The commit-before-run of one attempt (its consumer), ended with the attempt. */
  #fencedCommits(consumer: KafkaConsumer, generation: number): FencedCommits {
    const commits = new FencedCommits(
      { topic: this.spec.topic, group: this.spec.group },
      (a, partition, offset) => this.#commitFenced(consumer, a, partition, offset),
      // Accepted: this member's to run, even after the reader started over or began to close (the
      // group moved past it: nobody else will).
      (m) => this.#deliver(m),
      (err) => {
        if (generation === this.#generation) this.#retry(err);
      },
      this.#logger,
    );
    this.#commits = commits;
    return commits;
  }

  /**
   * The assignment the member holds since its last join: its partitions, and per partition the
   * group's committed offset read now (after the join) as the floor; a partition the group has no
   * commit for is anchored at its start position first, under the same generation.
   */
  #assignFenced(consumer: KafkaConsumer, stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>, commits: FencedCommits): void {
    const start = new Map(stream.offsetsToFetch);
    const epoch = commits.epoch;
    const a: FencedAssignment = {
      generation: consumer.generationId ?? -1,
      memberId: consumer.memberId ?? '',
      partitions: new Set(consumer.assignments?.find((x) => x.topic === this.spec.topic)?.partitions ?? []),
      floor: new Map(),
    };
    const assign = async () => {
      const partitions = [...a.partitions];
      let committed: bigint[] | undefined;
      if (partitions.length > 0) {
        try {
          committed = (await consumer.listCommittedOffsets({ topics: [{ topic: this.spec.topic, partitions }] })).get(this.spec.topic) ?? [];
        } catch (err) {
          // The start positions stand in (the library read them after the same join).
          this.#logger?.warn({ err, topic: this.spec.topic, group: this.spec.group }, 'kafka reader could not read its group\'s offsets after joining: its start positions stand in');
        }
      }
      const anchors: Array<[number, bigint]> = [];
      for (const partition of partitions) {
        const at = committed?.[partition] ?? -1n;
        const from = start.get(`${this.spec.topic}:${partition}`);
        if (at >= 0n) a.floor.set(partition, at);
        else if (from !== undefined) {
          a.floor.set(partition, from);
          if (committed !== undefined) anchors.push([partition, from]);
        }
      }
      try {
        await Promise.all(anchors.map(([partition, offset]) => this.#commitFenced(consumer, a, partition, offset)));
        if (anchors.length > 0) this.#logger?.debug({ topic: this.spec.topic, group: this.spec.group, partitions: anchors.length }, 'kafka reader anchored its start positions');
      } catch (err) {
        // Refused for a rebalance: this assignment is over, the next join brings another.
        if (isFenced(err)) return;
        // Not fatal: the records are read all the same; only a restart before their commit would skip them.
        this.#logger?.warn({ err, topic: this.spec.topic, group: this.spec.group }, 'kafka reader could not commit its start positions');
      }
      commits.assign(a, epoch);
    };
    const anchoring: Promise<void> = (this.#anchoring ?? Promise.resolve())
      .then(assign)
      .catch((err: unknown) => this.#logger?.warn({ err, topic: this.spec.topic, group: this.spec.group }, 'kafka reader could not take its assignment'))
      .finally(() => {
        if (this.#anchoring === anchoring) this.#anchoring = undefined;
      });
    this.#anchoring = anchoring;
  }

  /**
   * One OffsetCommit under `a`'s generation and member id, sent as is: the library's commit() sends
   * the consumer's current generation, and after a refusal rejoins and commits again under the next.
   */
  async #commitFenced(consumer: KafkaConsumer, a: FencedAssignment, partition: number, offset: bigint): Promise<void> {
    this.#offsetCommit ??= offsetCommitApi(consumer);
    const api = await this.#offsetCommit.catch((err: unknown) => {
      this.#offsetCommit = undefined;
      throw err;
    });
    const coordinator = await consumer.findGroupCoordinator();
    const broker = (await consumer.metadata({ topics: [this.spec.topic] })).brokers.get(coordinator);
    if (broker === undefined) throw new Error(`the group coordinator (broker ${coordinator}) is not in the cluster's metadata`);
    const connection = await consumer.connections.get(broker);
    const partitions = [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }];
    await api.async(connection, this.spec.group, a.generation, a.memberId, consumer.groupInstanceId ?? null, [{ name: this.spec.topic, partitions }]);
  }

  /** Commits the start position of each assigned partition the group has no commit for. */
  #anchor(consumer: KafkaConsumer, stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): void {
    // Taken now, before a record of this assignment is handed over (their commits wait for this one).
    const start = new Map(stream.offsetsToFetch);
    const assigned = (consumer.assignments ?? []).filter((a) => a.topic === this.spec.topic);
    if (assigned.length === 0) return;
    const anchor = async () => {
      const committed = await consumer.listCommittedOffsets({ topics: assigned });
      const offsets = [];
      for (const { topic, partitions } of assigned) {
        for (const partition of partitions) {
          const at = start.get(`${topic}:${partition}`);
          if ((committed.get(topic)?.[partition] ?? -1n) < 0n && at !== undefined) offsets.push({ topic, partition, offset: at, leaderEpoch: -1 });
        }
      }
      if (offsets.length === 0) return;
      await consumer.commit({ offsets });
      this.#logger?.debug({ topic: this.spec.topic, group: this.spec.group, partitions: offsets.length }, 'kafka reader anchored its start positions');
    };
    const anchoring: Promise<void> = (this.#anchoring ?? Promise.resolve())
      .then(anchor)
      .catch((err: unknown) => {
        // Not fatal: the records are read all the same; only a restart before their commit would skip them.
        this.#logger?.warn({ err, topic: this.spec.topic, group: this.spec.group }, 'kafka reader could not commit its start positions');
      })
      .finally(() => {
        if (this.#anchoring === anchoring) this.#anchoring = undefined;
      });
    this.#anchoring = anchoring;
  }

  /**
   * No record is handed over after this call: the stream is paused (the rest of a fetched batch
   * waits in its buffer) and fetches no more. release() hands the rest over and fetches again.
   */
  hold(): void {
    this.#held = true;
    this.#stream?.pause();
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#stream?.resume();
  }

  /** Commits `offset` (the next to read) on a partition of the topic, after this member's start positions. */
  async commit(partition: number, offset: bigint): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) throw new Error('the kafka reader is not connected');
    await this.#anchoring;
    await consumer.commit({ offsets: [{ topic: this.spec.topic, partition, offset, leaderEpoch: -1 }] });
  }

  #deliver(m: KafkaMessage): void {
    try {
      this.#onMessage(m);
    } catch (err) {
      this.#logger?.error({ err, topic: m.topic }, 'kafka message handler threw');
    }
  }

  #onPositioned(): void {
    clearTimeout(this.#positionTimer);
    this.#positioned = true;
    const stream = this.#stream;
    if (stream !== undefined) for (const [key, offset] of stream.offsetsToFetch) if (!this.#next.has(key)) this.#next.set(key, offset);
    this.#failures = 0;
    this.#logger?.debug({ topic: this.spec.topic, group: this.spec.group }, 'kafka reader positioned');
    this.#readyResolve();
  }

  #retry(err: Error): void {
    clearTimeout(this.#positionTimer);
    if (this.#closed) return;
    // Any answer still due to the failed attempt is stale from now on.
    this.#generation++;
    this.#logger?.debug({ err, topic: this.spec.topic, group: this.spec.group }, 'kafka reader restarts');
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.#failures++) * (0.5 + Math.random() / 2);
    const missing = isUnknownTopic(err) ? this.onMissingTopic : undefined;
    void this.#shutdown()
      .then(() => (missing === undefined || this.#closed ? undefined : this.#recreate(missing)))
      .finally(() => {
        if (this.#closed) return;
        this.#retryTimer = setTimeout(() => this.#launch(), delay);
      });
  }

  async #recreate(missing: () => Promise<void>): Promise<void> {
    // Never read yet (a fresh broker, or a topic just created and not yet known to the broker that
    // answered): not one that was deleted.
    if (this.#positioned) this.#logger?.warn({ topic: this.spec.topic, group: this.spec.group }, READER_TOPIC_GONE_LOG);
    else this.#logger?.info({ topic: this.spec.topic, group: this.spec.group }, READER_TOPIC_MISSING_LOG);
    // Positions in the old topic mean nothing in the new one.
    this.#next.clear();
    await missing().catch((err: unknown) => this.#logger?.warn({ err, topic: this.spec.topic }, 'kafka reader: cannot create its topic again; retrying'));
  }

  async #shutdown(): Promise<void> {
    // Records waiting for their commit are read again by the next attempt (or the next owner).
    void this.#commits?.stop();
    this.#commits = undefined;
    const stream = this.#stream;
    const consumer = this.#consumer;
    this.#stream = undefined;
    this.#consumer = undefined;
    const closing = closeQuietly(stream, consumer);
    const { shutdownTimeoutMs } = this.#limits;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      closing.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), shutdownTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (gaveUp) {
      this.#logger?.warn({ topic: this.spec.topic, group: this.spec.group, timeout_ms: shutdownTimeoutMs }, 'kafka consumer did not close in time: its connections are dropped');
      await dropConnections(consumer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#positionTimer);
    this.#readyResolve();
    await this.#settleCommits();
    await this.#beforeClose();
    await this.#shutdown();
  }

  /** Closing: what the group accepted a commit for runs before the member leaves (bounded as a shutdown). */
  async #settleCommits(): Promise<void> {
    const commits = this.#commits;
    if (commits === undefined) return;
    const limit = timeLimit(this.#limits.shutdownTimeoutMs);
    await Promise.race([commits.stop(), limit.expired]);
    limit.clear();
  }

  async #beforeClose(): Promise<void> {
    await this.beforeClose?.().catch((err: unknown) => this.#logger?.warn({ err, topic: this.spec.topic, group: this.spec.group }, 'kafka reader: its last work before closing failed'));
  }
}

async function closeQuietly(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined, consumer: KafkaConsumer | undefined): Promise<void> {
  // The library may throw synchronously as well as reject: neither may stop a restart or a close.
  await Promise.resolve()
    .then(() => stream?.close())
    .catch(() => undefined);
  await Promise.resolve()
    .then(() => (consumer === undefined ? undefined : closeConsumer(consumer)))
    .catch(() => dropConnections(consumer));
}

/**
 * A consumer whose close() failed (the library then counts it open again) or hangs still holds its
 * broker connections, and with them the process: they are closed regardless.
 */
async function dropConnections(consumer: KafkaConsumer | undefined): Promise<void> {
  await Promise.resolve()
    .then(() => consumer?.connections.close())
    .catch(() => undefined);
}

/**
 * The reader of a lane. Competing: one shared group resumes where it stopped. Direct/broadcast: a
 * group per driver, so every server of a broadcast lane sees every request; anchored, so the group
 * stays (empty) after its reader stops and the lane reads as not served.
 */
export function laneReaderSpec(topic: string, lane: { subject: string; competing: boolean; group?: string }, clientId: string): ReaderSpec {
  return lane.competing
    ? { topic, group: lane.group ?? lane.subject, mode: 'committed', commitEach: true }
    : { topic, group: `${clientId}.${lane.subject}`, mode: 'latest', commitEach: false, anchor: true };
}

/** A subscription without a queue is its own group (two patterns on one topic both see everything). */
export function subscriptionReaderSpec(topic: string, queue: string | undefined, ownGroup: string): ReaderSpec {
  return { topic, group: queue ?? ownGroup, mode: queue === undefined ? 'latest' : 'committed', commitEach: queue !== undefined };
}
