/**
 * What the brokers without native request/reply share (AMQP, Redis, MQTT): on top of DriverCore
 * (status and listeners, the bounded outbox, stats, the ServeRequest a lane handler gets), the
 * correlation of replies to requests (one or many, for gather). A subclass only moves bytes:
 * `rawSend` one item now (throw when it can never be sent) and call `deliverReply`/`noResponders`/
 * `dispatch` on what arrives.
 */
import { randomUUID } from 'node:crypto';
import type { GatherOptions, InboundMessage, RequestOptions } from '../driver.js';
import { TransportError, TransportErrorCode } from '../errors.js';
import type { OutboxItem } from '../outbox.js';
import { DriverCore, requestNeverSent, urlList } from './driver-core.js';
import { DEFAULT_BUFFER_MESSAGES, DEFAULT_BUFFER_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS } from '../defaults.js';
export { DEFAULT_BUFFER_MESSAGES, DEFAULT_BUFFER_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS };
export { urlList };

interface Pending {
  subject: string;
  /** undefined: a single request; a number: gather until that many (Infinity: until the timeout). */
  expect: number | undefined;
  /** A gathering: counts a reply, true once `expect` of them came (gatherTally). */
  tally: ((data: Uint8Array) => boolean) | undefined;
  replies: InboundMessage[];
  /** What was sent (or waits in the outbox): marked settled so a buffered one is never sent late. */
  item: OutboxItem;
  resolve(replies: InboundMessage[]): void;
  reject(err: Error): void;
  cleanup(): void;
}

export abstract class BaseDriver extends DriverCore {
  readonly #pending = new Map<string, Pending>();
  /** One for all requests: the outbox lost one unsent (OutboxItem.onRequestUnsent), so no reply can come. */
  readonly #unsent = (item: OutboxItem, refusal?: unknown): void => {
    const p = this.#pending.get(item.correlationId!);
    if (p !== undefined) this.#settle(item.correlationId!, requestNeverSent(`request to ${p.subject}`, refusal));
  };

  /** Address replies to this client come back on (per driver). */
  protected abstract replyAddress(): string;

  request(subject: string, data: Uint8Array, options: RequestOptions = {}): Promise<InboundMessage> {
    return this.#ask(subject, data, options).then((r) => r[0]!);
  }

  gather(subject: string, data: Uint8Array, options: GatherOptions = {}): Promise<InboundMessage[]> {
    return this.#ask(subject, data, options, options);
  }

  /** `gather`: how a gathering ends (absent: a single request). */
  #ask(subject: string, data: Uint8Array, options: RequestOptions, gather?: GatherEnds): Promise<InboundMessage[]> {
    this.assertOpen();
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const signal = options.signal;
    if (signal?.aborted === true) {
      return Promise.reject(new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal.reason }));
    }
    const id = randomUUID();
    const item: OutboxItem = {
      kind: 'request',
      subject,
      data,
      headers: options.headers,
      replyTo: this.replyAddress(),
      correlationId: id,
      deadline: performance.now() + timeoutMs,
      onRequestUnsent: this.#unsent,
    };
    const promise = new Promise<InboundMessage[]>((resolve, reject) => {
      const onAbort = () => this.#settle(id, new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal?.reason }));
      const timer = setTimeout(() => {
        const p = this.#pending.get(id);
        // A gathering ends at its timeout with what came; a single request fails.
        if (p !== undefined && p.expect !== undefined) this.#settle(id);
        else this.#settle(id, new TransportError(TransportErrorCode.TIMEOUT, `request to ${subject} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        subject,
        expect: gather === undefined ? undefined : (gather.expect ?? Infinity),
        tally: gather === undefined ? undefined : gatherTally(gather),
        replies: [],
        item,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      });
    });
    const outcome = this.send(item);
    if (outcome === 'dropped') this.#settle(id, new TransportError(TransportErrorCode.BROKER, `request to ${subject} could not be sent`));
    return promise;
  }

  #settle(id: string, err?: Error): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    p.item.settled = true;
    p.cleanup();
    this.requestSettled(p.item);
    if (err === undefined) p.resolve(p.replies);
    else p.reject(err);
  }

  /**
   * One of this driver's requests (or gatherings) stopped waiting: replied, timed out, aborted or
   * failed. A subclass that keeps something per request in flight lets go of it here.
   */
  protected requestSettled(_item: OutboxItem): void {}

  /** A reply arrived for `correlationId` (ignored when nobody waits for it any more). */
  protected deliverReply(correlationId: string | undefined, message: InboundMessage): void {
    if (correlationId === undefined) return;
    const p = this.#pending.get(correlationId);
    if (p === undefined) return;
    p.replies.push(message);
    if (p.tally === undefined || p.tally(message.data)) this.#settle(correlationId);
  }

  /** The broker said nobody serves the request's subject. */
  protected noResponders(correlationId: string): void {
    const p = this.#pending.get(correlationId);
    if (p === undefined) return;
    if (p.expect !== undefined) this.#settle(correlationId);
    else this.#settle(correlationId, new TransportError(TransportErrorCode.NO_RESPONDERS, `no responders on ${p.subject}`));
  }

  /**
   * Sending a request failed at the broker (it refused it — out of memory, not authorised — or the
   * client library gave up on it): no answer is coming, so its requester hears why now instead of
   * at its timeout. A hand-off (another driver's request) has no requester here: nothing to do.
   */
  protected requestRefused(correlationId: string, err: unknown): void {
    const p = this.#pending.get(correlationId);
    if (p === undefined) return;
    const why = err instanceof Error ? err.message : String(err);
    this.#settle(correlationId, new TransportError(TransportErrorCode.BROKER, `request to ${p.subject} failed at the broker: ${why}`, { cause: err }));
  }

  /**
   * The way back for a request's replies is gone (AMQP: its direct reply-to consumer died with the
   * channel): nothing more can arrive. A single request fails with `err` now instead of at its
   * timeout; a gathering ends with what came, as it would at its timeout.
   */
  protected requestLost(correlationId: string, err: Error): void {
    const p = this.#pending.get(correlationId);
    if (p === undefined) return;
    if (p.expect !== undefined) this.#settle(correlationId);
    else this.#settle(correlationId, err);
  }

  /** Rejects every request still waiting (driver closing). */
  protected failPending(err: Error): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, err);
  }

  /** Marks the driver closed, drops the outbox (counted) and fails waiting requests. */
  protected override markClosed(): void {
    super.markClosed();
    this.failPending(new TransportError(TransportErrorCode.CLOSED, 'driver closed'));
  }
}

/** What ends a gather before its timeout (GatherOptions): `expect` senders heard, or `doneWhen`. */
export interface GatherEnds {
  expect?: GatherOptions['expect'] | undefined;
  replierOf?: GatherOptions['replierOf'] | undefined;
  doneWhen?: GatherOptions['doneWhen'] | undefined;
}

/**
 * Counts a gathering's replies towards its `expect`; true once it is met. With `replierOf`, once
 * per sender: a reply the broker delivered twice is not a second node (GatherOptions.replierOf).
 * `doneWhen`, given, decides instead. Every driver's gather ends through this, given its options whole.
 */
export function gatherTally(ends: GatherEnds): (data: Uint8Array) => boolean {
  const { replierOf, doneWhen } = ends;
  if (doneWhen !== undefined) return doneWhen;
  const expect = ends.expect ?? Infinity;
  let counted = 0;
  // Until the timeout: nothing to count, nor a reply to read for it.
  if (expect === Infinity) return () => false;
  if (replierOf === undefined) return () => ++counted >= expect;
  const heard = new Set<string>();
  return (data) => {
    const sender = replierOf(data);
    if (sender !== undefined) {
      if (heard.has(sender)) return false;
      heard.add(sender);
    }
    return ++counted >= expect;
  };
}

/** Jittered exponential backoff: 100 ms doubling to 5 s, ±20 %. */
export function backoffMs(attempt: number): number {
  const base = Math.min(5000, 100 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

