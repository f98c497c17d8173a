/**
 * One Event Socket connection: a socket, the framing parser, coalesced writes and the strict
 * in-order reply queue. Shared by the inbound client and the outbound sessions; it knows
 * nothing about authentication or subscriptions.
 */
import type { Socket } from 'node:net';
import { afterTask } from './after-task.js';
import { EslClosedError, EslProtocolError, EslTooLargeError } from './errors.js';
import { decodeFrame, type ApiResponseFrame, type CommandReplyFrame, type EslFrame } from './frame.js';
import { DEFAULT_MAX_BODY_BYTES, EslParser, type ParserOptions } from './parser.js';
import { ReplyQueue } from './reply-queue.js';

export type ReplyFrame = CommandReplyFrame | ApiResponseFrame;

export interface RequestOptions {
  /** Milliseconds to wait for the reply; 0 = wait for ever. */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** FreeSWITCH answers only after running something unbounded (see SlotOptions.holdsLine). */
  holdsLine?: boolean | undefined;
}

export interface ConnectionHandlers {
  /** Every frame that is not a reply: auth/request, events, log/data, notices, unknown types. */
  onFrame(frame: EslFrame): void;
  /** `fatal`: the framing is lost and the socket is being destroyed. */
  onProtocolError(err: EslProtocolError, fatal: boolean): void;
  /** The socket closed; every pending request has been rejected already. */
  onClose(err: Error | undefined): void;
}

/** Counters the connection adds to (shared across the reconnects of one client). */
export interface ConnectionStats {
  requests: number;
  replies: number;
  timeouts: number;
}

export interface ConnectionOptions {
  maxPending: number;
  requestTimeoutMs: number;
  stats: ConnectionStats;
  parser?: ParserOptions | undefined;
}

/** Idle time before the kernel's first TCP keepalive probe. */
const KEEPALIVE_IDLE_MS = 30_000;

export class EslConnection {
  readonly socket: Socket;
  readonly #handlers: ConnectionHandlers;
  readonly #queue: ReplyQueue<ReplyFrame>;
  readonly #parser: EslParser;
  readonly #requestTimeoutMs: number;
  readonly #maxBodyBytes: number;
  #outbox: string[] = [];
  #flushScheduled = false;
  #closed = false;
  #failed = false;
  #error: Error | undefined;
  readonly #stats: ConnectionStats;
  /** Requests taken and replies read on this connection: its own, where `stats` is the user's to reset. */
  #requestsTaken = 0;
  #repliesRead = 0;

  constructor(socket: Socket, handlers: ConnectionHandlers, options: ConnectionOptions) {
    this.socket = socket;
    this.#handlers = handlers;
    this.#stats = options.stats;
    this.#queue = new ReplyQueue(options.maxPending, () => this.#stats.timeouts++);
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#maxBodyBytes = options.parser?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#parser = new EslParser((raw) => this.#onRawFrame(raw), options.parser);
    // Nagle + FreeSWITCH's delayed ACKs cost ~40 ms per round trip; small commands must go out now.
    socket.setNoDelay(true);
    // A peer that vanished without a FIN (host lost, network cut) is otherwise never noticed: no
    // reconnect, requests time out one by one. FreeSWITCH keeps its own end alive the same way.
    socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => {
      this.#error ??= err;
    });
    socket.on('close', () => this.#onClose());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Why the socket failed (a socket error, lost framing), if it did. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Requests waiting for a reply, timed-out ones included. */
  get pending(): number {
    return this.#queue.size;
  }

  /** Requests whose caller still waits for the reply (timed-out and aborted ones left out). */
  get awaited(): number {
    return this.#queue.awaited;
  }

  /**
   * Sends one command (text already framed, ending with the empty line) and resolves with its
   * reply. Rejects EslClosedError / EslQueueFullError / EslAbortError / EslTimeoutError.
   */
  get requestsTaken(): number {
    return this.#requestsTaken;
  }

  get repliesRead(): number {
    return this.#repliesRead;
  }

  request(text: string, label: string, options: RequestOptions = {}): Promise<ReplyFrame> {
    if (this.#closed || this.socket.destroyed) return Promise.reject(new EslClosedError(`${label}: connection closed`));
    let reply: Promise<ReplyFrame>;
    try {
      reply = this.#queue.reserve({ timeoutMs: options.timeoutMs ?? this.#requestTimeoutMs, signal: options.signal, label, holdsLine: options.holdsLine });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err))); // EslInvalidArgumentError / EslQueueFullError / EslAbortError
    }
    this.#stats.requests++;
    this.#requestsTaken++;
    this.write(text);
    return reply;
  }

  /** Queues bytes; everything written while one task runs leaves in one `write` call (see afterTask). */
  write(text: string): void {
    if (this.#closed) return;
    this.#outbox.push(text);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      afterTask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#outbox.length === 0) return;
    const data = this.#outbox.length === 1 ? this.#outbox[0]! : this.#outbox.join('');
    this.#outbox = [];
    if (this.#closed || this.socket.destroyed) return;
    this.socket.write(data);
  }

  /** Half-closes after the queued writes; FreeSWITCH then closes its side. */
  end(): void {
    if (this.#closed) return;
    this.#flush();
    this.socket.end();
  }

  destroy(err?: Error): void {
    if (err !== undefined) this.#error ??= err;
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#failed) return;
    try {
      this.#parser.push(chunk);
    } catch (err) {
      this.#outOfStep(err instanceof EslProtocolError ? err : new EslProtocolError('parser failure', { cause: err }));
    }
  }

  /** The framing cannot be resynchronised: report, then drop the socket (nothing read after counts). */
  #outOfStep(err: EslProtocolError): void {
    this.#failed = true;
    this.#handlers.onProtocolError(err, true);
    this.destroy(err);
  }

  #onRawFrame(raw: Parameters<typeof decodeFrame>[0]): void {
    if (this.#failed) return;
    if (!raw.headers.has('Content-Type')) {
      // FreeSWITCH starts every frame with its Content-Type. Without one (bytes glued to the front
      // of a frame hide it) the frame could be a reply or not: passed on, the reply queue could be
      // one behind for good, each request getting the next one's reply. Out of step: drop the socket.
      this.#outOfStep(new EslProtocolError('a frame without Content-Type: the stream is out of step'));
      return;
    }
    if (raw.oversize !== undefined) {
      this.#onOversize(raw.headers.get('Content-Type') ?? '(none)', raw.oversize);
      return;
    }
    let frame: EslFrame;
    try {
      frame = decodeFrame(raw);
    } catch (err) {
      // A bad event body: the framing is intact, so the connection can go on.
      const protocolError = err instanceof EslProtocolError ? err : new EslProtocolError('undecodable frame', { cause: err });
      this.#handlers.onProtocolError(protocolError, false);
      return;
    }
    if (frame.kind === 'command-reply' || frame.kind === 'api-response') {
      this.#stats.replies++;
      this.#repliesRead++;
      if (!this.#queue.deliver(frame)) {
        // A reply too many: some caller already took another's reply, and every later reply would
        // go one request behind (pipelined ones included). Out of step, as a frame without Content-Type.
        this.#outOfStep(new EslProtocolError(`unexpected ${frame.kind}: no request is waiting; the replies are out of step`));
      }
      return;
    }
    try {
      this.#handlers.onFrame(frame);
    } catch (err) {
      // Must not reach the parser's try block: that would be taken for lost framing.
      this.#handlers.onProtocolError(new EslProtocolError(`handling a ${frame.kind} frame failed`, { cause: err }), false);
    }
  }

  /**
   * A frame whose body was over the parser's limit, skipped: a reply fails its request (typed; the
   * requests behind it go on), anything else is a protocol error the connection survives.
   */
  #onOversize(contentType: string, bytes: number): void {
    if (contentType === 'api/response' || contentType === 'command/reply') {
      this.#stats.replies++;
      this.#repliesRead++;
      if (this.#queue.fail(new EslTooLargeError(`FreeSWITCH's ${contentType}`, bytes, this.#maxBodyBytes))) return;
    }
    this.#handlers.onProtocolError(new EslProtocolError(`a ${contentType} frame of ${bytes} bytes is over the limit of ${this.#maxBodyBytes} bytes: skipped`), false);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outbox = [];
    this.#queue.rejectAll(new EslClosedError('connection closed', this.#error === undefined ? undefined : { cause: this.#error }));
    this.#handlers.onClose(this.#error);
  }
}
