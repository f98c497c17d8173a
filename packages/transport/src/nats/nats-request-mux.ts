/**
 * Request/reply and scatter-gather over one wildcard inbox subscription, as nats.js's own mux
 * does, without its per-request costs: nats.js builds Error objects with stack traces for every
 * request (an async-trace context, a timeout error made in advance, a "cancelled" rejection after
 * the reply arrived), which at thousands of requests a second costs more CPU than the request.
 * Deadlines share one DeadlineTimer. Requests and gatherings leave through the driver's `send`
 * (its bounded outbox while the server is away), marked settled once answered, timed out or
 * aborted, so one that waited out an outage is never sent after its requester gave up (nats.js's
 * requestMany would write into its own buffer, sent whenever a dial connects).
 */
import { DeadlineTimer } from '@fsbus/esl';
import { createInbox, type Msg, type MsgHdrsImpl, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import type { GatherOptions, MessageHeaders, PublishOutcome } from '../driver.js';
import { gatherTally } from '../drivers/base-driver.js';
import { TransportError, TransportErrorCode } from '../errors.js';
import type { OutboxItem } from '../outbox.js';
import { requestNeverSent } from '../drivers/driver-core.js';
import { EXPIRES_HEADER } from '../expires.js';
import { replyToken } from './inbox-subjects.js';
import { controlLineProblem, deadlineHeaders, toNatsHeaders } from './nats-util.js';

export interface MuxRequestOptions {
  timeoutMs: number;
  headers?: MessageHeaders | undefined;
  signal?: AbortSignal | undefined;
}

export interface MuxGatherOptions extends MuxRequestOptions {
  /** Ends the gathering once this many replies came; else it lasts until its timeout. */
  expect?: number | undefined;
  /** Who sent a reply: a sender's second one does not count towards `expect`. */
  replierOf?: GatherOptions['replierOf'] | undefined;
  /** Ends the gathering when it says so (in place of `expect`). */
  doneWhen?: GatherOptions['doneWhen'] | undefined;
}

/** A request as the mux hands it to the driver: its headers already in nats.js's form, measured. */
export interface NatsOutboxItem extends OutboxItem {
  /** Sent as they are (nats.js encodes them once: toNatsHeaders). */
  natsHeaders?: MsgHdrsImpl | undefined;
}

/** A gathering's replies so far; it ends with them at `expect` of them or at its deadline. */
interface Gathering {
  replies: Msg[];
  /** Counts a reply; true once `expect` of them came (gatherTally). */
  tally: (data: Uint8Array) => boolean;
  resolve: (msgs: Msg[]) => void;
}

interface Pending {
  /** A single request: settled by its reply. Absent for a gathering. */
  resolve: ((msg: Msg) => void) | undefined;
  gathering: Gathering | undefined;
  reject: (err: Error) => void;
  subject: string;
  /** `request to <subject>` or `gather on <subject>`, for its errors. */
  what: string;
  timeoutMs: number;
  /** performance.now() after which the request fails with TIMEOUT (a gathering ends with what came). */
  deadline: number;
  cleanup: (() => void) | undefined;
  /** What was sent (or waits in the outbox), marked settled with the request. */
  item: OutboxItem;
}

/** NATS answers a request nobody subscribes to with an empty `503` status message (no_responders). */
function isNoRespondersReply(msg: Msg): boolean {
  return msg.data.length === 0 && msg.headers?.code === 503;
}

export class RequestMux {
  readonly #nc: NatsConnection;
  readonly #send: (item: OutboxItem) => PublishOutcome;
  readonly #maxPayload: () => number | undefined;
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  #subscription: NatsSubscription | undefined;
  readonly #deadlines = new DeadlineTimer((now) => this.#expire(now));
  #closed = false;
  /** One for all requests: the outbox lost one unsent (OutboxItem.onRequestUnsent), so no reply can come. */
  readonly #unsent = (item: OutboxItem, refusal?: unknown): void => {
    const token = item.replyTo!.slice(this.#prefix.length + 1);
    const pending = this.#pending.get(token);
    if (pending !== undefined) this.#fail(token, requestNeverSent(pending.what, refusal));
  };

  /** `maxPayload`: the server's max_payload as last known (kept while reconnecting), if any. */
  constructor(nc: NatsConnection, send: (item: OutboxItem) => PublishOutcome, maxPayload: () => number | undefined, inboxPrefix?: string) {
    this.#nc = nc;
    this.#send = send;
    this.#maxPayload = maxPayload;
    this.#prefix = createInbox(inboxPrefix);
    // A connection that closes for good (not a reconnect) takes its waiting requests with it.
    void nc.closed().then(() => this.close());
  }

  /** Requests waiting for a reply. */
  get size(): number {
    return this.#pending.size;
  }

  request(subject: string, data: Uint8Array, options: MuxRequestOptions): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => this.#ask(`request to ${subject}`, subject, data, options, { resolve, gathering: undefined, reject }));
  }

  /** Every reply to one request until `expect` of them or the timeout (then what came, maybe none). */
  gather(subject: string, data: Uint8Array, options: MuxGatherOptions): Promise<Msg[]> {
    return new Promise<Msg[]>((resolve, reject) => {
      const gathering: Gathering = { replies: [], tally: gatherTally(options), resolve };
      this.#ask(`gather on ${subject}`, subject, data, options, { resolve: undefined, gathering, reject });
    });
  }

  #ask(what: string, subject: string, data: Uint8Array, options: MuxRequestOptions, settle: Pick<Pending, 'resolve' | 'gathering' | 'reject'>): void {
    const { reject } = settle;
    const signal = options.signal;
    if (signal?.aborted === true) return reject(abortedError(what, signal));
    if (this.#closed) return reject(new TransportError(TransportErrorCode.CLOSED, `${what}: the connection is closed`));
    // The requester's deadline on its wall clock, as Kafka and ZeroMQ send it: a server the request
    // reaches after it (frozen meanwhile, its connection still in the queue group) skips it. Ours
    // last: a relayed request's own (shorter or equal) deadline replaces the one it came with.
    let headers = options.headers;
    // Made once: measured here, sent as they are (now or from the outbox).
    let natsHeaders: MsgHdrsImpl | undefined;
    if (Number.isFinite(options.timeoutMs)) {
      const expires = String(Date.now() + options.timeoutMs);
      // No spread on the path of every request without headers of its own (see `pending` below).
      if (headers === undefined) {
        headers = { [EXPIRES_HEADER]: expires };
        natsHeaders = deadlineHeaders(expires);
      } else {
        headers = { ...headers, [EXPIRES_HEADER]: expires };
      }
    }
    if (natsHeaders === undefined && headers !== undefined) natsHeaders = toNatsHeaders(headers);
    // Never sendable, told apart from an outbox that is full: sending it again cannot help.
    const unsendable = unsendableReason(this.#maxPayload(), subject, data, natsHeaders);
    if (unsendable !== undefined) return reject(new TransportError(TransportErrorCode.UNSUPPORTED, `${what}: ${unsendable}`));
    this.#subscription ??= this.#nc.subscribe(`${this.#prefix}.*`, { callback: (err, msg) => this.#onReply(err, msg) });
    // Random, not a counter: a reply subject seen must not tell the next (inbox-subjects.ts).
    const token = replyToken();
    const deadline = performance.now() + options.timeoutMs;
    const item: NatsOutboxItem = { kind: 'request', subject, data, headers, natsHeaders, replyTo: `${this.#prefix}.${token}`, deadline, onRequestUnsent: this.#unsent };
    // Field by field: on Node 20 (V8 11) a literal that starts with a spread and adds fields after
    // it ({ ...settle, subject, … }) took ≈3 µs per request, more than the rest of the request.
    const pending: Pending = { resolve: settle.resolve, gathering: settle.gathering, reject: settle.reject, subject, what, timeoutMs: options.timeoutMs, deadline, cleanup: undefined, item };
    if (signal !== undefined) {
      const onAbort = (): void => this.#fail(token, abortedError(what, signal));
      signal.addEventListener('abort', onAbort, { once: true });
      pending.cleanup = () => signal.removeEventListener('abort', onAbort);
    }
    this.#pending.set(token, pending);
    this.#deadlines.add(pending.deadline);
    // 'dropped' (what #unsendable foresees was refused above): the server is away and the outbox
    // is full, or the connection is closing.
    if (this.#send(item) === 'dropped') this.#fail(token, new TransportError(TransportErrorCode.BROKER, `${what} could not be sent`));
  }

  /** Rejects every waiting request and gathering and stops listening. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadlines.cancel();
    if (this.#subscription !== undefined && !this.#subscription.isClosed()) this.#subscription.unsubscribe();
    for (const token of [...this.#pending.keys()]) this.#fail(token, new TransportError(TransportErrorCode.CLOSED, 'the connection closed before the reply came'));
  }

  #onReply(err: Error | null, msg: Msg): void {
    if (err !== null) return; // a subscription error (permissions) surfaces as each request's timeout
    const token = msg.subject.slice(this.#prefix.length + 1);
    const pending = this.#pending.get(token);
    if (pending === undefined) return; // late: timed out or aborted already
    const gathering = pending.gathering;
    if (gathering !== undefined) {
      // Ends at `expect` replies (a sender's second one not counted); no responders (the server
      // says so before any reply) ends it with none.
      if (!isNoRespondersReply(msg)) {
        gathering.replies.push(msg);
        if (!gathering.tally(msg.data)) return;
      }
      this.#take(token);
      gathering.resolve(gathering.replies);
      return;
    }
    this.#take(token);
    if (isNoRespondersReply(msg)) pending.reject(new TransportError(TransportErrorCode.NO_RESPONDERS, `no responders on ${pending.subject}`));
    else pending.resolve?.(msg);
  }

  #take(token: string): Pending | undefined {
    const pending = this.#pending.get(token);
    if (pending === undefined) return undefined;
    this.#pending.delete(token);
    pending.item.settled = true;
    pending.cleanup?.();
    if (this.#pending.size === 0) this.#deadlines.idle();
    return pending;
  }

  #fail(token: string, err: Error): void {
    this.#take(token)?.reject(err);
  }

  /** Times out every request whose deadline passed, ends such gatherings; returns the next deadline. */
  #expire(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const [token, pending] of this.#pending) {
      if (pending.deadline > now) {
        if (pending.deadline < next) next = pending.deadline;
      } else if (pending.gathering !== undefined) {
        this.#take(token);
        pending.gathering.resolve(pending.gathering.replies);
      } else {
        this.#fail(token, new TransportError(TransportErrorCode.TIMEOUT, `${pending.what} timed out after ${pending.timeoutMs} ms`));
      }
    }
    return next;
  }
}

function abortedError(what: string, signal: AbortSignal): TransportError {
  return new TransportError(TransportErrorCode.ABORTED, `${what} was aborted`, { cause: signal.reason });
}

/**
 * Why nats.js would refuse to publish this message whatever the connection's state, as it checks
 * (a subject that is empty or has white space; a message over the server's max_payload `max`,
 * headers included), or undefined. Checked before a request waits in the outbox while the server
 * is away, where it would otherwise be refused on reconnect and time out.
 */
export function unsendableReason(max: number | undefined, subject: string, data: Uint8Array, headers: MsgHdrsImpl | undefined): string | undefined {
  if (subject === '' || /[ \t\r\n]/.test(subject)) return 'the subject is empty or has white space';
  const tooLong = controlLineProblem(subject);
  if (tooLong !== undefined) return tooLong;
  if (max === undefined) return undefined;
  // Headers count as nats.js writes them: the very bytes it will send (toNatsHeaders encodes once).
  const size = data.byteLength + (headers === undefined ? 0 : headers.encode().byteLength);
  return size > max ? `the message is ${size} bytes, over the server's max_payload of ${max} bytes` : undefined;
}
