/**
 * Durable event streams on RabbitMQ: a stream queue (`x-queue-type: stream`, RabbitMQ ≥ 3.9, no
 * plugin needed over AMQP 0-9-1) named `<exchange>.stream.<name>`, bound to the topic exchange
 * with the stream's subjects as binding keys — the broker stores every matching publish, from any
 * publisher. Replays consume it with `x-stream-offset` (prefetch set, acks as flow control);
 * `sequence` = the `x-stream-offset` header + 1. A named durable acknowledges a message to the
 * broker only when the application does, with `maxInFlight` as prefetch, so a slow consumer holds
 * the broker back; it never has more than that out unacknowledged, across reconnects too (what a
 * new channel delivers beyond it waits in the driver, still unacknowledged to the broker).
 * RabbitMQ 3.10 keeps no consumer offsets for AMQP 0-9-1 consumers, so a named durable consumer
 * keeps its position in a companion queue `<stream queue>.offset.<durable>` (classic, durable,
 * `x-max-length: 1`: it holds one message, the next offset to read, as decimal text: the first one
 * not acknowledged, every one before it was) — readable by any client with basic.get. That message
 * carries the durable's filter in its `fsbus-filter` header ('' = every subject): the position
 * and the filter that reached it are one record, and a consumer with another filter is refused.
 * A stored position retention deleted meanwhile makes the broker start at the stream's first
 * offset, and a reader retention overtakes while it reads is moved on to it: a delivery past the
 * position asked for (or past the last one received, by more than a segment's own record), found
 * to be the stream's first, is a retention loss, told before it is handed over.
 */
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { ConsumeDurableOptions, DriverLogger, DurableMessage, RetentionLoss, StreamSpec, Subscription } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { assertStreamRetention } from '../../stream-retention.js';
import { durableFilterRefused } from '../../durable-filter.js';
import { reportRetentionLoss, retentionUnknown } from '../../retention-loss.js';
import { closeAmqp } from './amqp-close.js';
import { bindingKey } from './amqp-options.js';
import { durableMaxInFlight } from '../../defaults.js';

/** Messages in flight per replay (streams refuse a consumer without prefetch). @default 500 */
export const STREAM_PREFETCH = 500;
/** RabbitMQ's default stream segment; retention drops whole segments. */
const DEFAULT_SEGMENT_BYTES = 500_000_000;

export const streamQueue = (exchange: string, name: string): string => `${exchange}.stream.${name}`;
export const offsetQueue = (exchange: string, name: string, durable: string): string => `${streamQueue(exchange, name)}.offset.${durable}`;
/** Header of the stored position: the filter of the durable consumer that stored it. */
export const FILTER_HEADER = 'fsbus-filter';

/** How long the look at a stream's first offset may take before a possible loss is left untold. @default 5000 */
const FIRST_OFFSET_TIMEOUT_MS = 5000;

const offsetOf = (msg: ConsumeMessage): number => Number(msg.properties.headers?.['x-stream-offset']);

/**
 * The offset of the first message a stream holds (one past RabbitMQ's own records at its start),
 * read by a consumer of its own; called only while the stream is known to hold a message.
 */
async function firstOffset(conn: ChannelModel, queue: string): Promise<number> {
  const ch = await conn.createChannel();
  try {
    await ch.prefetch(1);
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message of ${queue} within ${FIRST_OFFSET_TIMEOUT_MS} ms`)), FIRST_OFFSET_TIMEOUT_MS);
      ch.on('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
      ch.consume(queue, (msg) => {
        if (msg === null) return;
        clearTimeout(timer);
        resolve(offsetOf(msg));
      }, { noAck: false, arguments: { 'x-stream-offset': 'first' } }).catch((err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } finally {
    await closeAmqp(ch);
  }
}

/** The filter a stored position was reached with; undefined when stored by a build that did not record it. */
function storedFilter(headers: Record<string, unknown> | undefined): string | undefined {
  const v = headers?.[FILTER_HEADER];
  if (typeof v === 'string') return v;
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

/** Queue arguments for a spec; retention by count does not exist for stream queues. */
export function streamArguments(spec: StreamSpec): Record<string, unknown> {
  assertStreamRetention('amqp', spec);
  const args: Record<string, unknown> = { 'x-queue-type': 'stream' };
  if (spec.maxAgeMs !== undefined) args['x-max-age'] = `${Math.max(1, Math.ceil(spec.maxAgeMs / 1000))}s`;
  if (spec.maxBytes !== undefined) {
    args['x-max-length-bytes'] = spec.maxBytes;
    // Retention deletes whole segments: keep them a fraction of the cap so the cap means something.
    args['x-stream-max-segment-size-bytes'] = Math.min(DEFAULT_SEGMENT_BYTES, Math.max(4096, Math.floor(spec.maxBytes / 4)));
  }
  return args;
}

/** Declares the stream queue and its bindings on a channel of its own (a refusal closes only it). */
export async function ensureAmqpStream(conn: ChannelModel | undefined, exchange: string, spec: StreamSpec): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(spec.name)) throw new TransportError(TransportErrorCode.BROKER, `invalid stream name '${spec.name}' (letters, digits, _ and -)`);
  if (spec.subjects.length === 0) throw new TransportError(TransportErrorCode.BROKER, `stream ${spec.name} has no subjects`);
  const args = streamArguments(spec);
  if (conn === undefined) throw new TransportError(TransportErrorCode.BROKER, `cannot set up stream ${spec.name}: not connected`);
  const queue = streamQueue(exchange, spec.name);
  let ch;
  try {
    ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.assertQueue(queue, { durable: true, arguments: args });
    for (const s of spec.subjects) await ch.bindQueue(queue, exchange, bindingKey(s));
  } catch (err) {
    const msg = (err as Error).message;
    // Queue arguments cannot change; a policy (max-age, max-length-bytes) can, or delete the queue.
    const hint = /inequivalent arg/.test(msg) ? ' — the stream exists with other retention: apply a RabbitMQ policy or delete the queue' : '';
    throw new TransportError(TransportErrorCode.BROKER, `cannot set up stream ${spec.name}: ${msg}${hint}`, { cause: err });
  } finally {
    await closeAmqp(ch);
  }
}

/** The consume argument for where a replay starts. */
function offsetSpec(from: ConsumeDurableOptions['from']): unknown {
  if (from === undefined || from === 'all') return 'first';
  if (from === 'new') return 'next';
  if ('sequence' in from) return Math.max(0, Math.floor(from.sequence) - 1);
  // AMQP timestamps are whole seconds: the replay starts with the chunks stored in that second.
  return { '!': 'timestamp', value: Math.floor(from.time.getTime() / 1000) };
}

/** NATS-style match: `*` one token, `>` one or more trailing tokens. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** A delivered message of a named durable, until it is acknowledged and the position passed it. */
interface Delivered {
  offset: number;
  acked: boolean;
  /** Handed to the application (not filtered out): counted in what is out. */
  handed: boolean;
  ch: ConfirmChannel;
  msg: ConsumeMessage;
}

/** One replay of a stream queue; re-attached by the driver after a reconnect, where it stopped. */
export class StreamConsumer implements Subscription {
  readonly subject: string;
  readonly #queue: string;
  readonly #offsets: string | undefined;
  readonly #options: ConsumeDurableOptions;
  /** The filter a durable position is stored with ('' = every subject). */
  readonly #filter: string;
  readonly #handler: (message: DurableMessage) => void;
  readonly #logger: DriverLogger | undefined;
  readonly #onError: (err: Error) => void;
  #ch: ConfirmChannel | undefined;
  /** The next offset to read after a reconnect (last delivered + 1). */
  #next: number | undefined;
  /** A named durable's prefetch, and the most it hands out unacknowledged. */
  readonly #maxInFlight: number;
  /** Handed to the application and not acknowledged. */
  #out = 0;
  /** Received and not handed over yet: a named durable's while `#maxInFlight` are out, any while a loss is looked into. */
  #waiting: Array<{ ch: ConfirmChannel; msg: ConsumeMessage }> = [];
  /** The first of `#waiting` not handed over: a shift() would move up to a prefetch of entries each time. */
  #waitingHead = 0;
  #draining = false;
  /** Delivered offsets in order, until acked from the front: the durable position is the first un-acked. */
  #window: Delivered[] = [];
  #committed: number | undefined;
  #stored: number | undefined;
  #storeScheduled = false;
  #stopped = false;
  #conn: ChannelModel | undefined;
  /**
   * The offset the next delivery should have, when known: the one a channel was asked to start at
   * (a named durable's, or a replay's after a reconnect), then one past the last received.
   */
  #expect: number | undefined;
  /** True while the next delivery is the first of a channel (any gap then is checked). */
  #atStart = false;
  /** Possible retention losses being looked into: nothing is handed over meanwhile (told first). */
  #checking = 0;

  constructor(exchange: string, options: ConsumeDurableOptions, handler: (message: DurableMessage) => void, onError: (err: Error) => void, logger?: DriverLogger) {
    this.subject = options.filter ?? options.stream;
    this.#queue = streamQueue(exchange, options.stream);
    this.#offsets = options.durable === undefined ? undefined : offsetQueue(exchange, options.stream, options.durable);
    this.#options = options;
    this.#filter = options.filter ?? '';
    this.#maxInFlight = durableMaxInFlight(options.maxInFlight);
    this.#handler = handler;
    this.#onError = onError;
    this.#logger = logger;
  }

  /** Opens a channel and consumes from where this replay stands; throws typed errors. */
  async attach(conn: ChannelModel): Promise<void> {
    if (this.#stopped) return;
    const ch = await conn.createConfirmChannel();
    this.#conn = conn;
    ch.on('error', (err: Error) => this.#onError(err));
    try {
      let start: unknown = this.#next ?? offsetSpec(this.#options.from);
      if (this.#offsets !== undefined && this.#next === undefined) {
        await ch.assertQueue(this.#offsets, { durable: true, arguments: { 'x-max-length': 1 } });
        const stored = await ch.get(this.#offsets, { noAck: false });
        if (stored !== false) {
          // Read, then put back: the queue keeps holding the position.
          ch.nack(stored, false, true);
          // The client filters, and acknowledges what does not match: resuming another filter's
          // position would skip for good what this one never got. A position without a filter
          // (an older build's) is taken, and stored with this filter from the next ack on.
          const had = storedFilter(stored.properties.headers);
          if (had !== undefined && had !== this.#filter) throw this.#refused(had);
          const n = Number(stored.content.toString('utf8'));
          if (Number.isSafeInteger(n) && n >= 0) start = this.#stored = n;
        }
      }
      this.#expect = typeof start === 'number' && (this.#offsets !== undefined || this.#next !== undefined) ? start : undefined;
      this.#atStart = true;
      await ch.prefetch(this.#offsets === undefined ? STREAM_PREFETCH : this.#maxInFlight);
      await ch.consume(this.#queue, (msg) => this.#onMessage(ch, msg), { noAck: false, arguments: { 'x-stream-offset': start } });
      this.#ch = ch;
    } catch (err) {
      await closeAmqp(ch);
      if (err instanceof TransportError) throw err;
      const notFound = /NOT_FOUND|404/.test((err as Error).message);
      throw new TransportError(TransportErrorCode.BROKER, notFound ? `stream ${this.#options.stream} not found` : `cannot consume stream ${this.#options.stream}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The connection is gone: the channel with it; what waited is read again from `#next`. */
  detach(): void {
    this.#ch = undefined;
    this.#clearWaiting();
  }

  #clearWaiting(): void {
    this.#waiting = [];
    this.#waitingHead = 0;
  }

  #hasWaiting(): boolean {
    return this.#waitingHead < this.#waiting.length;
  }

  /** Drops the front of `#waiting`; the array is cut once most of it is behind the head. */
  #shiftWaiting(): void {
    this.#waitingHead++;
    if (this.#waitingHead === this.#waiting.length) this.#clearWaiting();
    else if (this.#waitingHead > 256 && this.#waitingHead * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#waitingHead);
      this.#waitingHead = 0;
    }
  }

  #onMessage(ch: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // Cancelled by the broker (the stream queue was deleted).
      if (!this.#stopped) this.#onError(new TransportError(TransportErrorCode.BROKER, `stream ${this.#options.stream} was cancelled by the broker`));
      return;
    }
    const offset = offsetOf(msg);
    const expected = this.#expect;
    const atStart = this.#atStart;
    this.#expect = offset + 1;
    this.#atStart = false;
    // Past the start, RabbitMQ's own record at a segment start leaves a gap of one offset; a reader
    // overtaken by retention jumps whole segments (each with its record and a message at least).
    if (expected !== undefined && offset > (atStart ? expected : expected + 1)) {
      this.#checking++;
      void this.#tellLoss(expected, offset).finally(() => {
        this.#checking--;
        this.#drain();
      });
    }
    this.#waiting.push({ ch, msg });
    this.#drain();
  }

  /**
   * The broker delivered past `expected` (the position asked for, or one past the last received):
   * a loss if it delivered the stream's first message — retention deleted `expected` and what
   * followed, before this consumer read them (RabbitMQ then moves a reader on to the stream's
   * first offset in silence). A gap within the stream is RabbitMQ's own records, nothing lost.
   */
  async #tellLoss(expected: number, delivered: number): Promise<void> {
    let loss: RetentionLoss | undefined;
    try {
      const first = await firstOffset(this.#conn!, this.#queue);
      if (first >= delivered) loss = { from: expected + 1, to: delivered, count: delivered - expected };
    } catch (err) {
      retentionUnknown(err, this.#logger, this.#options);
      return;
    }
    if (loss === undefined || this.#stopped) return;
    reportRetentionLoss(this.#options, loss, this.#logger, this.#options);
  }

  #matches(msg: ConsumeMessage): boolean {
    return this.#options.filter === undefined || matches(this.#options.filter, msg.fields.routingKey);
  }

  /** Hands over what waits, in order: a named durable's while fewer than `#maxInFlight` are out. */
  #drain(): void {
    // An ack from inside the handler comes back here: the loop below goes on with it.
    if (this.#draining || this.#checking > 0) return;
    this.#draining = true;
    try {
      while (this.#hasWaiting() && !this.#stopped) {
        const { ch, msg } = this.#waiting[this.#waitingHead]!;
        if (this.#offsets === undefined) {
          // A replay: a stream keeps its messages, the ack only opens the prefetch window.
          this.#shiftWaiting();
          try {
            ch.ack(msg);
          } catch {
            // Its channel is closed (amqplib throws then): the broker forgot the delivery with it.
          }
          this.#next = offsetOf(msg) + 1;
          if (this.#matches(msg)) this.#deliver(msg, () => undefined);
          continue;
        }
        const handed = this.#matches(msg);
        if (handed && this.#out >= this.#maxInFlight) return;
        this.#shiftWaiting();
        const entry: Delivered = { offset: Number(msg.properties.headers?.['x-stream-offset']), acked: false, handed, ch, msg };
        this.#window.push(entry);
        this.#next = entry.offset + 1;
        if (!handed) {
          this.#ack(entry);
          continue;
        }
        this.#out++;
        this.#deliver(msg, () => this.#ack(entry));
      }
    } finally {
      this.#draining = false;
    }
  }

  #deliver(msg: ConsumeMessage, ack: () => void): void {
    const raw = msg.properties.headers ?? {};
    const offset = Number(raw['x-stream-offset']);
    const subject = msg.fields.routingKey;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) if (k !== 'x-stream-offset') headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
    const message: DurableMessage = {
      subject,
      data: new Uint8Array(msg.content.buffer, msg.content.byteOffset, msg.content.byteLength),
      ...(Object.keys(headers).length === 0 ? {} : { headers }),
      sequence: offset + 1,
      ack,
    };
    try {
      this.#handler(message);
    } catch (err) {
      this.#logger?.error({ err, subject }, 'stream handler threw');
    }
  }

  #ack(entry: Delivered): void {
    if (entry.acked) return;
    entry.acked = true;
    try {
      entry.ch.ack(entry.msg);
    } catch {
      // Its channel is closed (amqplib throws then), and the broker forgot the delivery with it.
    }
    this.#advance();
    if (entry.handed && --this.#out < this.#maxInFlight && this.#hasWaiting()) this.#drain();
  }

  /** The position moves to the first message not acknowledged (every one before it was). */
  #advance(): void {
    let i = 0;
    while (i < this.#window.length && this.#window[i]!.acked) i++;
    if (i === 0) return;
    this.#committed = i < this.#window.length ? this.#window[i]!.offset : this.#window[i - 1]!.offset + 1;
    this.#window = this.#window.slice(i);
    if (!this.#storeScheduled) {
      // One write per burst of acks, not one per message.
      this.#storeScheduled = true;
      setImmediate(() => {
        this.#storeScheduled = false;
        this.#store();
      });
    }
  }

  #store(): void {
    const ch = this.#ch;
    if (this.#offsets === undefined || ch === undefined || this.#committed === undefined || this.#committed === this.#stored) return;
    try {
      this.#sendPosition(ch, this.#offsets, this.#committed);
    } catch (err) {
      // The channel closed under us (amqplib throws then): the position is stored by a later ack
      // or at the next attach; until then a restart replays from the last one stored.
      this.#logger?.warn({ err, stream: this.#options.stream }, 'stream position not stored');
    }
  }

  /** The position, with the filter that reached it; the queue keeps only the newest. */
  #sendPosition(ch: ConfirmChannel, offsets: string, committed: number): void {
    ch.sendToQueue(offsets, Buffer.from(String(committed)), { persistent: true, headers: { [FILTER_HEADER]: this.#filter } });
    this.#stored = committed;
  }

  /** The refusal of a durable name used with another filter. */
  #refused(had: string): TransportError {
    return durableFilterRefused(this.#options.durable ?? '', this.#options.stream, had, this.#filter, `delete its position (the queue ${this.#offsets ?? ''})`);
  }

  async unsubscribe(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const ch = this.#ch;
    this.#ch = undefined;
    this.#clearWaiting();
    if (ch === undefined) return;
    try {
      // The position is confirmed stored before the next consumer of this name may read it.
      if (this.#offsets !== undefined && this.#committed !== undefined && this.#committed !== this.#stored) this.#sendPosition(ch, this.#offsets, this.#committed);
      await ch.waitForConfirms();
      await closeAmqp(ch);
    } catch (err) {
      this.#logger?.warn({ err, stream: this.#options.stream }, 'stream consumer close failed');
    }
  }
}
