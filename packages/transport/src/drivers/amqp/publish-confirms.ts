/**
 * What becomes of a publish once amqplib has it: RabbitMQ confirms it (ack), refuses it (nack),
 * or its channel dies first — amqplib then fails every unconfirmed one, in order, before the
 * channel's 'close' reaches the driver.
 *
 * The write window (pending-bytes.ts): amqplib writes into its socket without bound, and a link
 * that hangs without closing is noticed only by the heartbeat (≈20 s), a broker that reads slower
 * than the driver writes not at all. Past `limit` unconfirmed bytes the driver holds what comes
 * next in its bounded outbox; each settled publish makes room again. RabbitMQ confirms a message
 * once its queues took it, which under load lags by hundreds of milliseconds: the window is at
 * least 64 MiB.
 *
 * An event that failed with its channel goes back to the outbox, in front of what it held, and is
 * sent again once reconnected (at least once). A request or hand-off is dropped and counted (it
 * may have run): its requester is told when the channel is found dead. A reply is dropped and
 * counted too, logged with its address: sent at most once — the broker may have delivered it,
 * and a reply RabbitMQ dies of (541 for a reply-to it cannot decode) would close every new
 * connection again. A nack (the
 * broker refused it, the channel lives) is dropped, counted; a nacked request still waits for its
 * reply — RabbitMQ nacks when any one queue routed to refuses, and the lane's may have taken it:
 * failing the requester then would invite a retry, a second run.
 */
import { LogThrottle } from '@fsbus/esl';
import { runsOnArrival, type Outbox, type OutboxItem } from '../../outbox.js';
import { PendingBytes } from '../../pending-bytes.js';
import { shownReplyAddress } from './direct-reply-to.js';

/**
 * The least the window may be (else bufferBytes). Measured (bus-events, 20,000 events/s of 1.5 KB
 * on 2 vCPUs): an 8 MiB window filled while RabbitMQ was still taking every event, and the outbox
 * behind it dropped 5 % of them; 64 MiB passed them all (p50 10 ms).
 */
export const MIN_AMQP_WINDOW_BYTES = 64 * 1024 * 1024;
/** What a publish costs on the wire beyond its routing key and body (method, header and body frames), roughly. */
const PUBLISH_OVERHEAD_BYTES = 64;

export interface ConfirmsHost {
  readonly outbox: Outbox;
  /** The driver is closed: nothing is sent again. */
  closed(): boolean;
  /** A publish counted as published when handed to amqplib was not confirmed. */
  unpublished(): void;
  /** A publish settled: what the window held may go, if it has room now. */
  room(): void;
  /** Failed by RabbitMQ (`refused`: nacked; else its channel closed with the driver): dropped, counted, its publisher told. */
  droppedAfterSend(item: OutboxItem, refused: boolean): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export class PublishConfirms {
  readonly #host: ConfirmsHost;
  /** The current channel's unconfirmed bytes: a new count per channel (a dead one's failures settle its own). */
  #window: PendingBytes;
  /** A dead channel's failed events and replies, gathered to go back as one batch. */
  #sendAgain: OutboxItem[] = [];
  /** Publishes dropped in this tick, logged as one batch. */
  #drops = 0;
  readonly #dropLog: LogThrottle;
  /** Replies lost with their channel: each counted, said (with its address and correlation id) once per burst. */
  readonly #replyDropLog: LogThrottle;

  constructor(limit: number, host: ConfirmsHost) {
    this.#window = new PendingBytes(limit);
    this.#host = host;
    this.#dropLog = new LogThrottle((fields, msg) => host.warn(fields, msg), 'publishes not confirmed by the broker, dropped');
    this.#replyDropLog = new LogThrottle((fields, msg) => host.warn(fields, msg), 'reply not confirmed by the broker: dropped, not sent again');
  }

  /** More than `limit` bytes are unconfirmed on the current channel: hold what comes next. */
  get full(): boolean {
    return this.#window.full;
  }

  /** A new channel: nothing is unconfirmed on it yet. */
  newChannel(): void {
    this.#window = new PendingBytes(this.#window.limit);
  }

  /** Counts `item` as unconfirmed; returns the callback amqplib settles it with. */
  track(item: OutboxItem): (err: unknown) => void {
    const bytes = item.data.byteLength + item.subject.length + PUBLISH_OVERHEAD_BYTES;
    const settle = this.#window.add(bytes);
    return (err) => {
      settle();
      this.#settled(item, err);
    };
  }

  /** Says what a burst of drops held back (the driver closes). */
  flushLog(): void {
    this.#dropLog.flush();
    this.#replyDropLog.flush();
  }

  #settled(item: OutboxItem, err: unknown): void {
    const host = this.#host;
    if (err === null || err === undefined) {
      host.room();
      return;
    }
    host.unpublished();
    const reason = err instanceof Error ? err.message : 'not confirmed';
    const nacked = reason === 'message nacked';
    const reply = item.kind === 'reply';
    if (!nacked && !host.closed() && !reply && !runsOnArrival(item)) {
      this.#resend(item);
      return;
    }
    host.droppedAfterSend(item, nacked);
    if (nacked) host.room();
    if (reply) {
      this.#replyDropLog.hit({ reply_to: shownReplyAddress(item.subject), correlation_id: item.correlationId, err: reason });
      return;
    }
    // A dead channel fails thousands at once, a full reject-publish queue nacks every publish:
    // one line per tick's batch, and those lines once per burst (all counted in stats().dropped).
    if (this.#drops++ === 0) {
      queueMicrotask(() => {
        this.#dropLog.hit({ dropped: this.#drops, subject: item.subject, err: reason });
        this.#drops = 0;
      });
    }
  }

  /** Gathered while amqplib fails the rest, then put in front of the newer messages the window held. */
  #resend(item: OutboxItem): void {
    if (this.#sendAgain.push(item) > 1) return;
    queueMicrotask(() => {
      const items = this.#sendAgain;
      this.#sendAgain = [];
      if (this.#host.closed()) for (const item of items) this.#host.droppedAfterSend(item, false);
      else this.#host.outbox.putBack(items);
    });
  }
}
