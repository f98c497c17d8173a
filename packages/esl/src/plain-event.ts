/**
 * `text/event-plain` bodies: `Name: url-encoded value` lines, a blank line, then the body its
 * Content-Length gives. Read lazily (lines indexed, nothing decoded until asked) and written back
 * as FreeSWITCH writes them.
 */
import { EslProtocolError } from './errors.js';
import type { DecodedEvent, HeaderList, HeaderSource } from './event-headers.js';
import { fsUrlDecode, fsUrlEncode } from './url-encoding.js';

function malformedLine(text: string, pos: number, eol: number): EslProtocolError {
  return new EslProtocolError(`malformed header line: ${JSON.stringify(text.slice(pos, Math.min(eol, pos + 80)))}`);
}

const SPACE = 0x20;
const CONTENT_LENGTH = 'Content-Length';

/**
 * The header lines of a plain event body, indexed: `marks` holds two numbers per non-empty
 * line (line start, colon) and, last, one past the end of the last line, so that a line
 * always ends at `marks[i + 2] - 1` (the lines of a header block follow one another without
 * a gap). Nothing is sliced or decoded yet.
 */
interface LineIndex {
  readonly marks: number[];
  /** Where the header block ends (its terminating `\n\n` starts here, if it has one). */
  readonly end: number;
  /** Index in `marks` of the last `Content-Length` line, or -1. */
  readonly contentLength: number;
}

/**
 * Indexes the `Name: value` lines of `text` up to its first `\n\n` (the first empty line but
 * for one opening the text) or its end.
 * @throws EslProtocolError on a line without a colon: the stream is out of step.
 */
function indexHeaderLines(text: string): LineIndex {
  // Marks go to a reused scratch array first, then are copied out once at their final size.
  const marks = scratchMarks;
  let k = 0;
  const length = text.length;
  let contentLength = -1;
  let pos = 0; // where the next line starts: one past the last line's end
  let end: number;
  for (;;) {
    if (pos >= length) {
      end = length;
      break;
    }
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = length;
    if (eol === pos) {
      // An empty line ends the block (at the \n before it), unless it opens the text.
      if (pos > 0) {
        end = pos - 1;
        break;
      }
      pos = 1;
      continue;
    }
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon >= eol) throw malformedLine(text, pos, eol);
    if (colon - pos === CONTENT_LENGTH.length && text.startsWith(CONTENT_LENGTH, pos)) contentLength = k;
    marks[k++] = pos;
    marks[k++] = colon;
    pos = eol + 1;
  }
  marks[k++] = pos;
  const copy = marks.slice(0, k);
  if (k > MAX_SCRATCH_MARKS) scratchMarks = []; // an odd huge event: do not keep its scratch
  return { marks: copy, end, contentLength };
}

// Events have tens to hundreds of headers; a scratch array that grew past this is let go.
const MAX_SCRATCH_MARKS = 8192;
let scratchMarks: number[] = [];

/** The raw (still URL-encoded) value of the line whose marks start at `i`. */
function rawValue(text: string, marks: readonly number[], i: number): string {
  const eol = marks[i + 2]! - 1;
  let v = marks[i + 1]! + 1;
  while (v < eol && text.charCodeAt(v) === SPACE) v++;
  return text.slice(v, eol);
}

/** Where the next '%' at or after `from` is, or the text's length. */
function nextPercent(text: string, from: number): number {
  const at = text.indexOf('%', from);
  return at < 0 ? text.length : at;
}

/** Index in `marks` of the last line named `name` (the one a Map built in order keeps), or -1. */
function lastLine(text: string, marks: readonly number[], name: string): number {
  const n = name.length;
  for (let i = marks.length - 3; i >= 0; i -= 2) {
    const start = marks[i]!;
    if (marks[i + 1]! - start === n && text.startsWith(name, start)) return i;
  }
  return -1;
}

/**
 * Headers of a plain event body: indexed at once, sliced and URL-decoded on demand; `forEach`
 * walks the lines without a Map unless a name repeats.
 */
class PlainHeaders implements HeaderSource {
  readonly lookupLimit = 4; // each lookup scans the line index
  readonly #text: string;
  readonly #marks: readonly number[];
  /** Index in `#marks` of the last `Content-Length` line, or -1. */
  readonly #contentLength: number;

  constructor(text: string, { marks, contentLength }: LineIndex) {
    this.#text = text;
    this.#marks = marks;
    this.#contentLength = contentLength;
  }

  get(name: string): string | undefined {
    if (name === CONTENT_LENGTH) return undefined; // structural, never a header of the event
    const i = lastLine(this.#text, this.#marks, name);
    return i < 0 ? undefined : fsUrlDecode(rawValue(this.#text, this.#marks, i));
  }

  forEach(fn: (value: string, name: string) => void): void {
    const text = this.#text;
    const marks = this.#marks;
    if (!namesDistinct(text, marks)) {
      // A repeated name keeps its first position and its last value: the Map says where.
      for (const [name, value] of this.materialize()) fn(value, name);
      return;
    }
    // Names distinct: the one Content-Length line, if any, is the last one indexed.
    eachLine(text, marks, this.#contentLength, fn);
  }

  materialize(): Map<string, string> {
    const headers = new Map<string, string>();
    eachLine(this.#text, this.#marks, -1, (value, name) => headers.set(name, value));
    headers.delete(CONTENT_LENGTH);
    return headers;
  }
}

/** Calls `fn` with every line's decoded value and name, in order, but the line whose marks start at `skip`. */
function eachLine(text: string, marks: readonly number[], skip: number, fn: (value: string, name: string) => void): void {
  // Most values have nothing to decode: a line is decoded only if the next '%' in the text is on it.
  let percent = nextPercent(text, 0);
  for (let i = 0; i < marks.length - 1; i += 2) {
    if (i === skip) continue;
    const eol = marks[i + 2]! - 1;
    let value = rawValue(text, marks, i);
    if (percent < eol) {
      value = fsUrlDecode(value);
      percent = nextPercent(text, eol);
    }
    fn(value, text.slice(marks[i], marks[i + 1]));
  }
}

// Names seen so far by namesDistinct: an open-addressing table of line numbers + 1 (0 empty),
// of which the first power of two at least twice the line count is used. Reused: it never reenters.
const MAX_DISTINCT_LINES = 4096;
const nameTable = new Int32Array(MAX_DISTINCT_LINES * 2);

/**
 * Whether no two lines have the same name, so that the lines in order are exactly the Map
 * `materialize` builds (else a repeat keeps its first position and last value). `false` may
 * also mean "not checked" (an event of more than MAX_DISTINCT_LINES lines): the Map decides.
 */
function namesDistinct(text: string, marks: readonly number[]): boolean {
  const lines = (marks.length - 1) >> 1;
  if (lines > MAX_DISTINCT_LINES) return false;
  // First hashed on the length and the last few characters: FreeSWITCH's names come in
  // families that share a prefix (variable_sip_*, variable_rtp_audio_in_*) and part at the
  // end (0.38 probes a name on the recorded stream against 0.30 hashing every character, at
  // a third of the cost). A family that shares its ending too runs over the probe budget and
  // is checked again hashing every character, as every event once was.
  const quick = distinctBy(text, marks, lines, HASHED_SUFFIX, lines + 8);
  return quick === UNDECIDED ? distinctBy(text, marks, lines, Infinity, Infinity) === DISTINCT : quick === DISTINCT;
}

const HASHED_SUFFIX = 4;
const DISTINCT = 1;
const REPEAT = 0;
const UNDECIDED = -1;

/** One pass of namesDistinct, hashing up to `hashedChars` from each name's end; UNDECIDED past `probeBudget` collisions. */
function distinctBy(text: string, marks: readonly number[], lines: number, hashedChars: number, probeBudget: number): number {
  let size = 64;
  while (size < lines * 2) size *= 2;
  const table = nameTable.fill(0, 0, size);
  const mask = size - 1;
  let probes = 0;
  for (let line = 0; line < lines; line++) {
    const start = marks[line * 2]!;
    const end = marks[line * 2 + 1]!;
    const length = end - start;
    let hash = length;
    const from = end - hashedChars > start ? end - hashedChars : start;
    for (let k = end - 1; k >= from; k--) hash = ((hash << 5) - hash + text.charCodeAt(k)) | 0;
    let slot = (hash ^ (hash >>> 16)) & mask;
    for (let other = table[slot]! - 1; other >= 0; other = table[slot]! - 1) {
      const otherStart = marks[other * 2]!;
      if (marks[other * 2 + 1]! - otherStart === length && sameChars(text, otherStart, start, length)) return REPEAT;
      if (++probes > probeBudget) return UNDECIDED;
      slot = (slot + 1) & mask;
    }
    table[slot] = line + 1;
  }
  return DISTINCT;
}

/** Whether `text[a, a + length)` and `text[b, b + length)` are the same characters (compared from the end, where names part). */
function sameChars(text: string, a: number, b: number, length: number): boolean {
  for (let k = length - 1; k >= 0; k--) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

function parseContentLength(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d{1,15}$/.test(value)) throw new EslProtocolError(`invalid Content-Length: ${JSON.stringify(value)}`);
  return Number(value);
}

/** The body of a `text/event-plain` frame as a lazy header source and the decoded body. */
export function plainEventSource(buf: Buffer): { headers: HeaderSource; body: string | undefined } {
  let text = buf.toString('utf8');
  const ascii = text.length === buf.length;
  let index: LineIndex;
  let bodyStart: number; // byte offset in buf
  if (ascii) {
    // All ASCII (FreeSWITCH URL-encodes every other byte): string and byte offsets agree, and
    // the header block ends at the first empty line the indexing meets.
    index = indexHeaderLines(text);
    bodyStart = index.end + 2;
  } else {
    const found = buf.indexOf('\n\n');
    const byteEnd = found < 0 ? buf.length : found;
    text = buf.toString('utf8', 0, byteEnd);
    index = indexHeaderLines(text); // no \n\n left in text: it runs to the end
    bodyStart = byteEnd + 2;
  }
  const { marks } = index;
  // FreeSWITCH writes the structural Content-Length last; sendevent may carry its own earlier.
  const length = parseContentLength(index.contentLength < 0 ? undefined : fsUrlDecode(rawValue(text, marks, index.contentLength)));
  const headers = new PlainHeaders(text, index);
  if (length === 0) return { headers, body: undefined };
  if (bodyStart + length > buf.length) {
    throw new EslProtocolError(`event body is ${Math.max(buf.length - bodyStart, 0)} bytes, its Content-Length says ${length}`);
  }
  const body = ascii ? text.slice(bodyStart, bodyStart + length) : buf.toString('utf8', bodyStart, bodyStart + length);
  return { headers, body };
}

/** Parses the body of a `text/event-plain` frame. */
export function parsePlainEvent(buf: Buffer): DecodedEvent {
  const { headers, body } = plainEventSource(buf);
  return { headers: headers.materialize(), body };
}

export function serializePlain(headers: HeaderList, body: string | undefined): string {
  let out = '';
  for (const [name, value] of headers) {
    if (name === 'Content-Length') continue;
    out += `${name}: ${fsUrlEncode(value)}\n`;
  }
  if (body === undefined || body === '') return out + '\n';
  return `${out}Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

