/**
 * The Event Socket framing parser: bytes in, raw frames out. No socket, no timer, no logger.
 *
 * A frame is a block of `Name: value` lines ended by an empty line, followed by exactly
 * `Content-Length` bytes of body when that header is present. Input arrives in arbitrary
 * chunks; they are kept in a list and joined at most once per frame part, so the work is
 * linear in the input however it is split.
 */
import { EslProtocolError } from './errors.js';
import { fsUrlDecode } from './url-encoding.js';

/** Outer headers in wire order (names as sent, values URL-decoded) and the body, if any. */
export interface RawFrame {
  readonly headers: Map<string, string>;
  readonly body: Buffer | undefined;
  /** The body's `Content-Length` when it was over `maxBodyBytes`: skipped, not kept (`body` undefined). */
  readonly oversize?: number;
}

export interface ParserOptions {
  /**
   * Largest header block accepted before the parser gives up on the stream.
   * @default 1 MiB
   */
  maxHeaderBytes?: number;
  /**
   * Largest body kept. A larger one is skipped (the framing is intact: its length is known) and
   * its frame passed on with `oversize` set instead of a body.
   * @default 64 MiB
   */
  maxBodyBytes?: number;
  /**
   * Stricter limits for every frame up to and including the first `command/reply` — the answer
   * to a handshake, such as the outbound `connect` reply. A frame over them is a protocol error,
   * never skipped: a peer that has not answered yet cannot make the parser hold the regular
   * limits' worth, nor keep the socket busy skipping. The regular limits apply from that reply on.
   */
  beforeFirstReply?: FrameLimits;
}

export interface FrameLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** The largest body skipped (over `maxBodyBytes`) rather than taken for lost framing. */
export const MAX_SKIPPED_BODY_BYTES = 1024 * 1024 * 1024;

const LF = 0x0a;
const HEADER_END = Buffer.from('\n\n'); // a Buffer needle: no string conversion per search

/**
 * Work counters, for tests that prove the parser linear without timing it: bytes copied out
 * of the chunk list and chunks visited while searching for a header end. Internal.
 */
export const parserWork = { copiedBytes: 0, chunkVisits: 0 };

export class EslParser {
  #onFrame: (frame: RawFrame) => void;
  #maxHeaderBytes = 0;
  #maxBodyBytes = 0;
  /** A larger `Content-Length` is taken for lost framing, not a body to skip. */
  #maxContentLength = 0;

  // Unread input: #chunks[#first..] with #head bytes of #chunks[#first] already read.
  #chunks: Buffer[] = [];
  #first = 0;
  #head = 0;
  #buffered = 0; // unread bytes across #chunks
  // Header-end search state, so each byte is searched once however the input is split.
  #scanChunk = 0; // index in #chunks where the search resumes
  #scanBase = 0; // frame-relative offset of that chunk's first unread byte
  #prevLf = false; // was the last byte searched a LF (terminator split across chunks)
  #headers: Map<string, string> | undefined; // set while waiting for a body
  #bodyLength = 0;
  #skipping = false; // the body being waited for is over the limit: consumed, not kept
  #skipped = 0;
  #failed: EslProtocolError | undefined;
  #inCallback = false;

  constructor(onFrame: (frame: RawFrame) => void, options: ParserOptions = {}) {
    const regular: FrameLimits = {
      maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    };
    this.#onFrame = onFrame;
    this.#setLimits(regular, false);
    const strict = options.beforeFirstReply;
    if (strict === undefined) return;
    this.#setLimits(strict, true);
    // Swapped for `onFrame` itself at the first reply: the frames after it pay nothing for this.
    this.#onFrame = (frame) => {
      if (frame.headers.get('Content-Type') === 'command/reply') {
        this.#onFrame = onFrame;
        this.#setLimits(regular, false);
      }
      onFrame(frame);
    };
  }

  /** `strict`: a body over the limit is lost framing, not skipped. */
  #setLimits(limits: FrameLimits, strict: boolean): void {
    this.#maxHeaderBytes = limits.maxHeaderBytes;
    this.#maxBodyBytes = limits.maxBodyBytes;
    // Beyond any reply FreeSWITCH makes (a `show channels` of 100,000 calls is ≈85 MB): the
    // length itself is taken for a broken stream, not skipped byte by byte for ever.
    this.#maxContentLength = strict ? limits.maxBodyBytes : Math.max(limits.maxBodyBytes, MAX_SKIPPED_BODY_BYTES);
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Feeds a chunk; calls `onFrame` for every frame it completes.
   * @throws EslProtocolError when the stream is not Event Socket protocol. The parser stays
   * failed afterwards: the stream cannot be resynchronised, the connection must close.
   */
  push(chunk: Uint8Array): void {
    if (this.#failed) throw this.#failed;
    if (chunk.length === 0) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.#chunks.length === 0) this.#scanChunk = 0;
    this.#chunks.push(buf);
    this.#buffered += buf.length;
    try {
      this.#drain();
    } catch (err) {
      // Only the parser's own errors mean lost framing; an error thrown by onFrame passes
      // through and leaves the parser usable (the next push delivers what is still buffered).
      if (err instanceof EslProtocolError && !this.#inCallback) {
        this.#failed = err;
        this.#chunks = [];
        this.#first = 0;
        this.#head = 0;
        this.#buffered = 0;
      }
      this.#inCallback = false;
      throw err;
    }
  }

  #emit(frame: RawFrame): void {
    this.#inCallback = true;
    this.#onFrame(frame);
    this.#inCallback = false;
  }

  #drain(): void {
    for (;;) {
      if (this.#headers === undefined) {
        this.#skipLeadingLf();
        const end = this.#findHeaderEnd();
        if (end < 0) {
          if (this.#buffered > this.#maxHeaderBytes) {
            throw new EslProtocolError(`header block exceeds ${this.#maxHeaderBytes} bytes without an empty line`);
          }
          return;
        }
        if (end > this.#maxHeaderBytes) {
          throw new EslProtocolError(`header block exceeds ${this.#maxHeaderBytes} bytes without an empty line`);
        }
        const block = this.#take(end);
        const headers = outerHeaders(block);
        const length = contentLength(headers);
        if (length === 0) {
          this.#emit({ headers, body: undefined });
          continue;
        }
        if (length > this.#maxContentLength) {
          throw new EslProtocolError(`Content-Length ${length} exceeds the limit of ${this.#maxBodyBytes} bytes`);
        }
        this.#headers = headers;
        this.#bodyLength = length;
        this.#skipping = length > this.#maxBodyBytes;
      }
      if (this.#skipping) {
        // Consumed as it arrives, never buffered whole: only its frame is passed on.
        const n = Math.min(this.#buffered, this.#bodyLength - this.#skipped);
        if (n > 0) this.#consume(n);
        this.#skipped += n;
        if (this.#skipped < this.#bodyLength) return;
        const headers = this.#headers;
        this.#headers = undefined;
        this.#skipping = false;
        this.#skipped = 0;
        this.#emit({ headers, body: undefined, oversize: this.#bodyLength });
        continue;
      }
      if (this.#buffered < this.#bodyLength) return;
      const headers = this.#headers;
      this.#headers = undefined;
      this.#emit({ headers, body: this.#take(this.#bodyLength) });
    }
  }

  // FreeSWITCH never sends blank lines between frames; tolerate them rather than fail.
  #skipLeadingLf(): void {
    while (this.#scanBase === 0 && this.#buffered > 0) {
      if (this.#chunks[this.#first]![this.#head] !== LF) return;
      this.#consume(1);
    }
  }

  /** Length of the header block including its `\n\n`, or -1 if it is not complete yet. */
  #findHeaderEnd(): number {
    const chunks = this.#chunks;
    if (this.#scanChunk < this.#first) this.#scanChunk = this.#first;
    for (; this.#scanChunk < chunks.length; this.#scanChunk++) {
      parserWork.chunkVisits++;
      const chunk = chunks[this.#scanChunk]!;
      const start = this.#scanChunk === this.#first ? this.#head : 0;
      if (this.#prevLf && chunk[start] === LF) return this.#scanBase + 1;
      const at = chunk.indexOf(HEADER_END, start);
      if (at >= 0) return this.#scanBase + (at - start) + 2;
      this.#prevLf = chunk[chunk.length - 1] === LF;
      this.#scanBase += chunk.length - start;
    }
    return -1; // resumes with the next chunk pushed; #prevLf covers a split terminator
  }

  /** Removes `n` bytes from the front of the chunk list; one copy at most. */
  #take(n: number): Buffer {
    const first = this.#chunks[this.#first]!;
    let out: Buffer;
    if (first.length - this.#head >= n) {
      out = first.subarray(this.#head, this.#head + n);
    } else {
      parserWork.copiedBytes += n;
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      let i = this.#first;
      let start = this.#head;
      while (filled < n) {
        const chunk = this.#chunks[i++]!;
        filled += chunk.copy(out, filled, start, Math.min(chunk.length, start + n - filled));
        start = 0;
      }
    }
    this.#consume(n);
    return out;
  }

  #consume(n: number): void {
    this.#buffered -= n;
    this.#scanBase = 0;
    this.#prevLf = false;
    const chunks = this.#chunks;
    while (n > 0) {
      const left = chunks[this.#first]!.length - this.#head;
      if (n < left) {
        this.#head += n;
        break;
      }
      n -= left;
      this.#first++;
      this.#head = 0;
    }
    this.#scanChunk = this.#first;
    // Drop consumed chunks in bulk, not one shift() per chunk (linear for any chunking).
    if (this.#first === chunks.length) {
      this.#chunks = [];
      this.#first = 0;
      this.#scanChunk = 0;
    } else if (this.#first >= 1024 && this.#first * 2 >= chunks.length) {
      this.#chunks = chunks.slice(this.#first);
      this.#scanChunk -= this.#first;
      this.#first = 0;
    }
  }
}

/**
 * Parses `Name: value` lines of `block[0, end)`. Values are URL-decoded when `decode` is set.
 * A line that is not a header line continues the previous value (see parseHeaderLines).
 */
export function parseHeaderBlock(block: Buffer, end: number, decode: boolean): Map<string, string> {
  const text = block.toString('utf8', 0, end);
  return parseHeaderLines(text, text.length, decode);
}

const SPACE = 0x20;

/**
 * The lines of `text[0, end)`, as parseHeaderBlock: `Name: value` each. FreeSWITCH writes some
 * values raw (`Reply-Text: <getvar's value>`), so a multi-line value (an SDP) goes on over lines of
 * its own: a line that is not `Name: value` (isHeaderLine) is the previous value's next line.
 * Before any header, such a line is dropped, never fatal: the empty line still ends the block.
 */
function parseHeaderLines(text: string, end: number, decode: boolean): Map<string, string> {
  const headers = new Map<string, string>();
  let last: string | undefined;
  let pos = 0;
  // The next colon at or after `pos` (text.length: none left), kept across lines: lines without
  // one are not searched again, so a long multi-line value costs linear time.
  let colon = -1;
  while (pos < end) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0 || eol > end) eol = end;
    if (eol > pos) {
      if (colon < pos) {
        colon = text.indexOf(':', pos);
        if (colon < 0) colon = text.length;
      }
      if (isHeaderLine(text, pos, colon, eol)) {
        let v = colon + 1;
        while (v < eol && text.charCodeAt(v) === SPACE) v++;
        const raw = text.slice(v, eol);
        last = text.slice(pos, colon);
        headers.set(last, decode ? fsUrlDecode(raw) : raw);
      } else if (last !== undefined) {
        const raw = text.slice(pos, eol);
        headers.set(last, `${headers.get(last)!}\n${decode ? fsUrlDecode(raw) : raw}`);
      }
    }
    pos = eol + 1;
  }
  return headers;
}

/**
 * `text[start, eol)` is `Name: value`, as FreeSWITCH writes every header line: a colon on the line,
 * after a name, followed by a space or the line's end. A raw value's lines mostly are not (`o=- 1 2
 * IN IP4 …` has no colon, `a=rtpmap:0 PCMU/8000` none followed by a space); one that is (`i=Info:
 * x`) is taken for a header, which FreeSWITCH's framing cannot tell apart. One check per line, on
 * the path of every frame.
 */
function isHeaderLine(text: string, start: number, colon: number, eol: number): boolean {
  return colon > start && colon < eol && (colon + 1 === eol || text.charCodeAt(colon + 1) === SPACE);
}

/**
 * A frame's own headers. FreeSWITCH writes them as they are (`Reply-Text: <getvar's value>`),
 * except the outbound `connect` reply: the channel's data serialised like an event
 * (switch_event_serialize, URL-encoded) — the one header block that carries `Event-Name`.
 */
function outerHeaders(block: Buffer): Map<string, string> {
  // `block` ends with its `\n\n`; decoding it whole (toString's argument-free fast path) and
  // dropping those two characters from the text is decoding `block[0, length - 2)`.
  const text = block.toString();
  const headers = parseHeaderLines(text, text.length - 2, false);
  if (headers.has('Event-Name')) for (const [name, value] of headers) headers.set(name, fsUrlDecode(value));
  return headers;
}

const MAX_LENGTH_DIGITS = 15;

/** The frame's `Content-Length`, 0 when absent. */
export function contentLength(headers: Map<string, string>): number {
  const value = headers.get('Content-Length');
  if (value === undefined) return 0;
  // 1 to 15 ASCII digits (/^\d{1,15}$/), read as Number() reads them: exactly, below 2^53.
  let n = value.length > 0 && value.length <= MAX_LENGTH_DIGITS ? 0 : -1;
  for (let i = 0; i < value.length && n >= 0; i++) {
    const digit = value.charCodeAt(i) - 0x30;
    n = digit >= 0 && digit <= 9 ? n * 10 + digit : -1;
  }
  if (n < 0) throw new EslProtocolError(`invalid Content-Length: ${JSON.stringify(value)}`);
  return n;
}
