/**
 * A record received on a lane → ServeRequest. The reply goes to the `fsbus-reply-to` topic with the
 * request's `fsbus-correlation-id`; forward() re-sends the same bytes and reply address to another
 * lane's topic. A request past its `fsbus-expires` is skipped: its requester stopped waiting, and a
 * command run late (an originate minutes after the caller gave up) would do harm. One whose
 * `fsbus-expires` is not epoch milliseconds (seconds, text: ../../expires.ts) is refused, its
 * requester told why on its reply topic — once its reply topic passed the checks below.
 *
 * A request that comes again is skipped too: a producer whose produce request got no answer (the
 * broker stalled, the connection dropped) sends it again, and the broker may have appended the
 * first copy already. Both copies land in the same partition, so the member that ran the first
 * one is the one that sees the second: it remembers what it ran until each request's expiry.
 *
 * A request whose `fsbus-reply-to` is not a reply topic (`fsbus.inbox.<name>`, a legal topic name)
 * is skipped, not run, counted and logged: its reply could go nowhere (a name Kafka refuses failed
 * the produce of every record batched with it), or would create an arbitrary topic. So is one whose
 * reply topic does not exist (a server never creates one): run, its reply was dropped, and its
 * requester, hearing nothing, could send it again (a second call placed). A reply topic not known
 * to exist yet is asked of the broker: records of the lane's partition wait meanwhile, in order
 * (kafka-partition-order.ts), so a request and its copy are still told apart and nothing overtakes.
 *
 * A record whose `fsbus-subject` is not the lane's is skipped, not run, counted and logged: a
 * subject below a lane's root shares its topic (`<p>.broadcast.x` → `<p>.broadcast`, kafka-topics.ts),
 * so it reached every reader of the lane — a forward_to copy there was never a request.
 */
import type { DriverLogger, PublishOutcome, ServeHandler } from '../../driver.js';
import type { OutboxItem } from '../../outbox.js';
import { subjectMatches } from '../../subject-pattern.js';
import { deadlineOf, laneRequest, lateBy, runLaneHandler, timeLimit } from '../driver-core.js';
import { expiresOf, expiresRefusal, shownExpires } from '../../expires.js';
import { INBOX_PREFIX } from './kafka-inbox.js';
import { KafkaHeader } from './kafka-topics.js';
import { isTopicName, toInbound, type KafkaMessage } from './kafka-wire.js';

/** The log line of requests refused for an `fsbus-expires` that is not epoch milliseconds (../../expires.ts). */
export const REFUSED_EXPIRES_LOG = 'kafka request whose fsbus-expires is not epoch milliseconds: refused, not run';

/** The log line of records skipped because their `fsbus-subject` is not the lane's. */
export const FOREIGN_SUBJECT_LOG = "kafka record on a lane's topic whose fsbus-subject is not the lane's (a subject below the lane's root shares its topic): skipped, not run";

export interface ServeContext {
  /** The lane's subject (pattern): a record's `fsbus-subject` must match it. */
  lane: string;
  enqueue(item: OutboxItem): PublishOutcome;
  topicFor(subject: string): string | undefined;
  /** Whether a lane's topic exists (true while the broker is away: the hand-off waits in the outbox). */
  served(topic: string): Promise<boolean>;
  /** Counts (and logs) a request skipped because its requester stopped waiting, `lateMs` after that. */
  expired(topic: string, lateMs: number): void;
  /** Counts (and logs) a request skipped because its reply address is no reply topic. */
  unanswerable(topic: string, replyTo: string): void;
  /** The reply topic is known to exist: the request runs at once. */
  knownReplyTopic(replyTo: string): boolean;
  /** Asks the broker whether the reply topic exists; rejects when it cannot say. */
  replyTopicExists(replyTo: string): Promise<boolean>;
  /** Counts (and logs) a request skipped because its reply topic does not exist. */
  absentReplyTopic(topic: string, replyTo: string): void;
  /** The driver closed: nothing could carry a reply any more. */
  closed(): boolean;
  /** Counts (and logs) a record skipped because its subject is not the lane's. */
  foreign(topic: string, subject: string): void;
  /** Counts (and logs) a request refused for its `fsbus-expires` (seconds, text): the refusal's only trace on the server. */
  refusedExpires(subject: string, shown: string): void;
  /** The requests this lane ran, for recognising one that comes again. */
  ran: RecentRequests;
  /** Gets each handler still running (settles once its reply is handed over): the driver's close waits for it. */
  running: (work: Promise<unknown>) => void;
  logger: DriverLogger | undefined;
}

/** Requests run, by reply address and correlation id, each kept until its expiry (epoch ms). */
export class RecentRequests {
  readonly #expiries = new Map<string, number>();
  readonly #max: number;

  /** @param max entries kept at most (the oldest go first): bounds memory whatever the expiries. */
  constructor(max = 100_000) {
    this.#max = max;
  }

  get size(): number {
    return this.#expiries.size;
  }

  /** Records a request about to run; false when it ran already (a copy). */
  firstTime(key: string, expires: number, now = Date.now()): boolean {
    this.#prune(now);
    if (this.#expiries.has(key)) return false;
    this.#expiries.set(key, expires);
    if (this.#expiries.size > this.#max) this.#expiries.delete(this.#expiries.keys().next().value!);
    return true;
  }

  /** Drops expired entries from the front (arrival order; a long expiry there holds the rest a while). */
  #prune(now: number): void {
    for (const [key, expires] of this.#expiries) {
      if (expires >= now) return;
      this.#expiries.delete(key);
    }
  }
}

/**
 * The lane records a driver is handling: a handler running, or a record waiting in its partition's
 * order (PartitionOrder). Accepted already (a competing lane committed them before they ran): the
 * driver's close lets them finish, their replies sent, before it stops sending.
 */
export class RunningHandlers {
  readonly #running = new Set<Promise<void>>();

  get size(): number {
    return this.#running.size;
  }

  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.#running.add(settled);
    void settled.then(() => this.#running.delete(settled));
  }

  /** Resolves true once none runs (one started meanwhile waited for too), false when `ms` ran out first. */
  async settled(ms: number): Promise<boolean> {
    const limit = timeLimit(ms);
    const expired = limit.expired.then(() => false);
    try {
      while (this.#running.size > 0) {
        if (!(await Promise.race([Promise.all(this.#running).then(() => true), expired]))) return false;
      }
      return true;
    } finally {
      limit.clear();
    }
  }
}

/** A requester's reply topic: `fsbus.inbox.<name>` (kafka-inbox.ts), and a name Kafka takes. */
export function isReplyTopic(name: string): boolean {
  return name.length > INBOX_PREFIX.length && name.startsWith(INBOX_PREFIX) && isTopicName(name);
}

/** Serves one record of a lane; a promise while its reply topic is asked of the broker (for PartitionOrder). */
export function serveRequest(m: KafkaMessage, headers: Record<string, string>, handler: ServeHandler, ctx: ServeContext): void | Promise<void> {
  const subject = headers[KafkaHeader.SUBJECT] ?? m.topic;
  if (!subjectMatches(ctx.lane, subject)) {
    ctx.foreign(m.topic, subject);
    return;
  }
  // NaN (not epoch ms) is never late: refused in runRequest, past the reply topic's checks.
  const expires = expiresOf(headers[KafkaHeader.EXPIRES]);
  const late = lateBy(expires);
  if (late !== undefined) {
    ctx.expired(m.topic, late);
    return;
  }
  const replyTo = headers[KafkaHeader.REPLY_TO];
  if (replyTo === undefined) return runRequest(m, headers, handler, ctx, undefined, expires);
  if (!isReplyTopic(replyTo)) {
    ctx.unanswerable(m.topic, replyTo);
    return;
  }
  if (ctx.knownReplyTopic(replyTo)) return runRequest(m, headers, handler, ctx, replyTo, expires);
  return ctx.replyTopicExists(replyTo).then(
    (exists) => {
      if (exists) runAfterCheck(m, headers, handler, ctx, replyTo, expires);
      else ctx.absentReplyTopic(m.topic, replyTo);
    },
    (err: unknown) => {
      // The broker cannot say (stalled, or metadata refused to this principal): run it as before
      // the check; the reply's produce meets the same broker and is held or dropped there.
      ctx.logger?.debug({ err, topic: m.topic, reply_to: replyTo }, 'kafka reply topic check failed: the request runs');
      runAfterCheck(m, headers, handler, ctx, replyTo, expires);
    },
  );
}

/** The check took a moment: the driver may have closed, or the requester stopped waiting, meanwhile. */
function runAfterCheck(m: KafkaMessage, headers: Record<string, string>, handler: ServeHandler, ctx: ServeContext, replyTo: string, expires: number): void {
  if (ctx.closed()) {
    ctx.logger?.debug({ topic: m.topic, offset: String(m.offset) }, 'kafka request not run: the driver closed while its reply topic was checked');
    return;
  }
  const late = lateBy(expires);
  if (late === undefined) runRequest(m, headers, handler, ctx, replyTo, expires);
  else ctx.expired(m.topic, late);
}

function runRequest(m: KafkaMessage, headers: Record<string, string>, handler: ServeHandler, ctx: ServeContext, replyTo: string | undefined, expires: number): void {
  const correlationId = headers[KafkaHeader.CORRELATION_ID] ?? '';
  if (Number.isNaN(expires)) {
    refuseExpires(m, headers, ctx, replyTo, correlationId);
    return;
  }
  if (replyTo !== undefined && correlationId !== '' && expires > 0 && !ctx.ran.firstTime(`${replyTo} ${correlationId}`, expires)) {
    ctx.logger?.warn({ topic: m.topic, partition: m.partition, offset: String(m.offset) }, 'kafka request came again (its producer sent it twice): skipped, it ran already');
    return;
  }
  let replied = false;
  // Marked a reply: one dropped (its reply topic gone, the send buffer full) counts in repliesDropped.
  const sendReply = (to: string, data: Uint8Array) => ctx.enqueue({ kind: 'reply', subject: to, data, headers: { [KafkaHeader.CORRELATION_ID]: correlationId, [KafkaHeader.SUBJECT]: to } });
  const base = toInbound(m, headers);
  const request = laneRequest(
    base,
    replyTo !== undefined,
    (data) => {
      if (replyTo === undefined || replied) return false;
      replied = true;
      return sendReply(replyTo, data) !== 'dropped';
    },
    (subject, options) => {
      replied = true;
      const topic = ctx.topicFor(subject);
      if (topic === undefined) {
        ctx.logger?.warn({ subject }, 'forward to an invalid subject dropped');
        return;
      }
      // Same bytes, same reply address and deadline: the other node answers the original requester.
      // Runs on arrival like the request it is: never sent again after a lost connection.
      const send = () => ctx.enqueue({ kind: 'request', subject: topic, data: base.data, headers: { ...headers, [KafkaHeader.SUBJECT]: subject } });
      const unserved = options?.unserved;
      if (unserved === undefined || replyTo === undefined) {
        send();
        return;
      }
      // A topic nobody ever created has nobody serving it: the requester is told now, not at its timeout.
      const checked = ctx.served(topic).then(
        (served) => {
          const data = served ? undefined : unserved();
          if (data === undefined) send();
          else sendReply(replyTo, data);
        },
        () => send(),
      );
      // A close waits for the hand-off (or the reply) that follows the check.
      ctx.running(checked);
    },
    deadlineOf(expires),
  );
  runLaneHandler(request, handler, ctx.logger, ctx.running);
}

/** An `fsbus-expires` that is not epoch milliseconds: not run, counted and logged, its requester told why. */
function refuseExpires(m: KafkaMessage, headers: Record<string, string>, ctx: ServeContext, replyTo: string | undefined, correlationId: string): void {
  const shown = shownExpires(headers[KafkaHeader.EXPIRES]);
  ctx.refusedExpires(headers[KafkaHeader.SUBJECT] ?? m.topic, shown);
  const refusal = replyTo === undefined ? undefined : expiresRefusal(m.value ?? Buffer.alloc(0), shown);
  if (replyTo === undefined || refusal === undefined) return;
  ctx.enqueue({ kind: 'reply', subject: replyTo, data: refusal, headers: { [KafkaHeader.CORRELATION_ID]: correlationId, [KafkaHeader.SUBJECT]: replyTo } });
}
