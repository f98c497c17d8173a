/**
 * What stream retention removed before a NATS durable consumer read it. Told when the consumer
 * attaches (before anything newer is delivered) and after each connection outage: while the
 * connection is down the server sends nothing and retention may remove what the consumer has not
 * read; once it is back the server goes on from the stream's first message. And while it stays
 * connected, for a consumer that reads the whole stream: held at max_ack_pending, it is sent
 * nothing while retention removes what comes next, and the server then goes on from the oldest
 * message left — a first delivery past the one after the last is that loss (#firstDelivery).
 */
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type ConsumerInfo } from '@nats-io/jetstream';
import type { NatsConnection, QueuedIterator, Status } from '@nats-io/transport-node';
import type { ConsumeDurableOptions, DriverLogger, RetentionLoss } from '../driver.js';
import { reportRetentionLoss, retentionUnknown } from '../retention-loss.js';
import { patternCovers } from '../subject-pattern.js';
import { JS_OPTIONS } from './nats-util.js';

/** A connection outage: the consumer's position when it began; the first newer sequence received once it is over. */
export interface Outage {
  since: number;
  firstAfter?: number;
  /** When it began. */
  at?: Date;
}

/**
 * What a check found of the consumer's stream and durable: gone (a server back on an empty store,
 * or an operator's deletion while the link was down). `lostAt`: when the outage began.
 * `streamLost`: the stream is gone or another now (its creation time differs) — what it held
 * unread is lost; otherwise only the consumer is gone, the stream is the one it read.
 */
export interface Gone {
  lostAt: Date;
  streamLost: boolean;
}

/** A JetStream API "not found" (stream or consumer), told apart from a timeout or an unavailable JetStream. */
function notFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound);
}

export const lossBetween = (from: number, to: number): RetentionLoss | undefined => (to >= from ? { from, to, count: to - from + 1 } : undefined);

/**
 * The last stream sequence an existing consumer is past: its ack floor, or, with nothing
 * awaiting an ack, also what the server scanned past (a filtered consumer skips other subjects
 * without acking them).
 */
export function consumerReadUpTo(info: ConsumerInfo): number {
  const floor = info.ack_floor.stream_seq;
  return info.num_ack_pending === 0 ? Math.max(floor, info.delivered.stream_seq) : floor;
}

/**
 * What retention removed before this durable consumer read it, told by the consumer's position
 * and the stream's first sequence while no delivery is under way (before the consumer is bound,
 * or after a reconnect before anything newer arrived). `readUpTo` is the last stream sequence
 * the consumer is known to be past: read, acknowledged, or skipped by its filter.
 */
async function removedUnread(nc: NatsConnection, stream: string, readUpTo: number): Promise<{ loss: RetentionLoss | undefined; firstSeq: number; created: string | undefined; subjects: string[] }> {
  const jsm = await jetstreamManager(nc, JS_OPTIONS);
  const { state, created, config } = await jsm.streams.info(stream);
  return { loss: lossBetween(readUpTo + 1, state.first_seq - 1), firstSeq: state.first_seq, created, subjects: config.subjects };
}

/** Whether a consumer with `filter` ('' or undefined: none) gets every message of a stream taking `subjects`. */
export function readsWholeStream(filter: string | undefined, subjects: readonly string[]): boolean {
  return filter === undefined || filter === '' || (subjects.length > 0 && subjects.every((s) => patternCovers(filter, s)));
}

/** status() is declared an AsyncIterable, yet nats.js hands out its QueuedIterator, whose stop() ends it at once. */
function stoppable(statuses: AsyncIterable<Status>): statuses is QueuedIterator<Status> {
  return typeof (statuses as Partial<QueuedIterator<Status>>).stop === 'function';
}

type Durable = ConsumeDurableOptions & { durable: string };

export class RetentionWatch {
  readonly #nc: NatsConnection;
  readonly #options: Durable;
  readonly #logger: DriverLogger | undefined;
  /** The last stream sequence this consumer is past, for the check after a reconnect. */
  #readUpTo: number;
  #outage: Outage | undefined;
  /** Outages whose check is under way (almost always none). */
  readonly #checking: Outage[] = [];
  #stopped = false;
  #statuses: AsyncIterable<Status> | undefined;
  /** When the stream read was created: one created again under the same name is another stream. */
  #created: string | undefined;
  /** Told when a check finds the stream or the consumer gone (the consumer makes it again). */
  onGone: ((gone: Gone) => void) | undefined;
  /** Waiting for the next reconnect (nextReconnect()). */
  #reconnectWaiters: Array<() => void> = [];
  /** The consumer gets every message of the stream: a jump between first deliveries is a loss. */
  readonly #whole: boolean;
  /** The last stream sequence the server sent this consumer a first time (undefined: not known — a new consumer, after an outage). */
  #sentUpTo: number | undefined;

  constructor(nc: NatsConnection, options: Durable, logger: DriverLogger | undefined, readUpTo: number, created?: string, whole = false, sentUpTo?: number) {
    this.#nc = nc;
    this.#options = options;
    this.#logger = logger;
    this.#readUpTo = readUpTo;
    this.#created = created;
    this.#whole = whole;
    this.#sentUpTo = sentUpTo;
  }

  /** The consumer was made again (on `created`'s stream): positions start over from `readUpTo`. */
  rebound(readUpTo: number, created: string | undefined): void {
    this.#readUpTo = readUpTo;
    this.#created = created;
    this.#sentUpTo = undefined;
  }

  /** The last stream sequence the consumer is past (for making it again where it was). */
  get readUpTo(): number {
    return this.#readUpTo;
  }

  /** When the stream read was created (JetStream's `created`), if known. */
  get created(): string | undefined {
    return this.#created;
  }

  /** Resolves at the next reconnect, or at stop(); `cancel` forgets a wait another event ended first. */
  nextReconnect(): { promise: Promise<void>; cancel(): void } {
    if (this.#stopped) return { promise: Promise.resolve(), cancel: () => undefined };
    let waiter!: () => void;
    const promise = new Promise<void>((resolve) => (waiter = resolve));
    this.#reconnectWaiters.push(waiter);
    return {
      promise,
      cancel: () => {
        const i = this.#reconnectWaiters.indexOf(waiter);
        if (i >= 0) this.#reconnectWaiters.splice(i, 1);
      },
    };
  }

  #wake(): void {
    const waiters = this.#reconnectWaiters;
    this.#reconnectWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * The check as the consumer attaches, before it is bound (its position still the old one): a
   * loss of an existing consumer is told before anything newer is delivered.
   */
  static async attach(nc: NatsConnection, options: Durable, info: ConsumerInfo, existed: boolean, logger: DriverLogger | undefined): Promise<RetentionWatch> {
    const attached = await removedUnread(nc, options.stream, consumerReadUpTo(info)).catch((err: unknown) => {
      retentionUnknown(err, logger, options);
      return { loss: undefined, firstSeq: 0, created: undefined };
    });
    if (existed && attached.loss !== undefined) reportRetentionLoss(options, attached.loss, logger, options);
    const whole = 'subjects' in attached && readsWholeStream(options.filter, attached.subjects);
    // What the server sent before (to an earlier run) is past; a new consumer's start is wherever its `from` is.
    const sentUpTo = existed ? Math.max(info.delivered.stream_seq, attached.firstSeq - 1) : undefined;
    return new RetentionWatch(nc, options, logger, Math.max(consumerReadUpTo(info), attached.firstSeq - 1), attached.created, whole, sentUpTo);
  }

  /**
   * A first delivery (the server's delivery count 1) of `sequence`, before it is handed over. On a
   * consumer that reads the whole stream, first deliveries follow each other by one: past the
   * next, the server went on from the oldest message left, and the ones between were removed
   * before they were sent — told now. Not while an outage is checked (that check tells it), nor
   * right after one (what the server sent into the dying connection comes again later).
   */
  firstDelivery(sequence: number): void {
    const upTo = this.#sentUpTo;
    if (upTo !== undefined && sequence <= upTo) return;
    this.#sentUpTo = sequence;
    if (!this.#whole || upTo === undefined || this.#outage !== undefined || this.#checking.length > 0) return;
    const loss = lossBetween(upTo + 1, sequence - 1);
    if (loss === undefined || this.#stopped) return;
    reportRetentionLoss(this.#options, loss, this.#logger, this.#options);
  }

  /** A delivery of `sequence` (per message: kept cheap). */
  received(sequence: number): void {
    if (sequence <= this.#readUpTo) return;
    for (const o of this.#checking) o.firstAfter ??= sequence;
    this.#readUpTo = sequence;
  }

  disconnected(): void {
    this.#outage ??= { since: this.#readUpTo, at: new Date() };
    this.#sentUpTo = undefined;
  }

  /** The outage under way is over: its check, or undefined when there was none. */
  reconnected(): Promise<void> | undefined {
    const over = this.#outage;
    if (over === undefined) return undefined;
    this.#outage = undefined;
    return this.checkLoss(over);
  }

  /** What retention removed during `o`; told once (the next check starts past it), never after stop(). */
  async checkLoss(o: Outage): Promise<void> {
    this.#checking.push(o);
    try {
      const jsm = await jetstreamManager(this.#nc, JS_OPTIONS);
      const gone = (err: unknown): undefined => {
        if (notFound(err)) return undefined;
        throw err;
      };
      const [consumer, stream] = await Promise.all([jsm.consumers.info(this.#options.stream, this.#options.durable).catch(gone), jsm.streams.info(this.#options.stream).catch(gone)]);
      // A server back on an empty store (the agent may have created the stream again since): the
      // consumer's deliver subject gets nothing any more. Never silent: it is made again.
      const streamLost = stream === undefined || (this.#created !== undefined && stream.created !== this.#created);
      if (streamLost || consumer === undefined) {
        if (this.#stopped) return;
        // Nobody to make it again (a watch on its own): all it can say is that it cannot tell.
        if (this.onGone === undefined) retentionUnknown(new Error(`stream ${this.#options.stream} or its consumer ${this.#options.durable} not found`), this.#logger, this.#options);
        else this.onGone({ lostAt: o.at ?? new Date(), streamLost });
        return;
      }
      const { state } = stream;
      // A server position short of the stream's first message is the one from before the outage
      // (sending anew it jumps to the first): a filtered consumer may have skipped past `since`.
      const position = consumerReadUpTo(consumer);
      const from = Math.max(o.since, position < state.first_seq ? position : o.since) + 1;
      // What arrived meanwhile was not lost, whatever the stream removed since.
      const to = Math.min(state.first_seq - 1, o.firstAfter === undefined ? Infinity : o.firstAfter - 1);
      const loss = lossBetween(from, to);
      if (loss === undefined || this.#stopped) return;
      this.#readUpTo = Math.max(this.#readUpTo, loss.to);
      reportRetentionLoss(this.#options, loss, this.#logger, this.#options);
    } catch (err) {
      retentionUnknown(err, this.#logger, this.#options);
    } finally {
      this.#checking.splice(this.#checking.indexOf(o), 1);
    }
  }

  /** Follows the connection's outages until stop(). */
  watch(): void {
    const statuses = this.#nc.status();
    this.#statuses = statuses;
    void (async () => {
      for await (const st of statuses) {
        if (this.#stopped) break;
        if (st.type === 'disconnect') this.disconnected();
        else if (st.type === 'reconnect') {
          void this.reconnected();
          this.#wake();
        }
      }
    })();
  }

  stop(): void {
    this.#stopped = true;
    this.#wake();
    // Otherwise the loop ends at the next status (or the connection's close).
    if (this.#statuses !== undefined && stoppable(this.#statuses)) this.#statuses.stop();
  }
}
