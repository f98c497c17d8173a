/**
 * Reads client commands the way mod_event_socket's read_packet does: bytes until two line feeds
 * (carriage returns in between ignored), leading blank lines dropped, the first line is the
 * command, the others `Name: value` headers (values NOT URL-decoded, lines without a colon
 * ignored), and a `Content-Length` header (any case) pulls that many body bytes after the block.
 *
 * The ESL client parser of @fsbus/esl cannot be used here: it URL-decodes header values and
 * rejects lines without a colon, both of which FreeSWITCH's command reader does not do.
 */
import { isUtf8 } from 'node:buffer';

/** One command as mod_event_socket records it: `Command` first, then the headers in wire order. */
export interface CommandPacket {
  /** The first line, e.g. `api status`. */
  readonly command: string;
  /** `['Command', <first line>]` followed by the client's headers, names and values as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string | undefined;
  /** The header block exactly as received, both closing line feeds included. */
  readonly rawHead: string;
}

const LF = 0x0a;
const CR = 0x0d;

/** FreeSWITCH stops reading a header block at 10 MiB and treats what it has as complete. */
const MAX_HEAD_BYTES = 10 * 1024 * 1024;

export class CommandReader {
  readonly #onPacket: (packet: CommandPacket) => void;
  #head: number[] = [];
  #lfCount = 0;
  #pendingHead: { command: string; headers: Array<[string, string]>; rawHead: string } | undefined;
  #bodyNeeded = 0;
  #bodyChunks: Buffer[] = [];
  #bodyHave = 0;

  constructor(onPacket: (packet: CommandPacket) => void) {
    this.#onPacket = onPacket;
  }

  /** True while part of a command has arrived (FreeSWITCH writes no event in that state). */
  get hasPartial(): boolean {
    return this.#head.length > 0 || this.#pendingHead !== undefined;
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#pendingHead !== undefined) {
        const take = Math.min(this.#bodyNeeded - this.#bodyHave, chunk.length - i);
        this.#bodyChunks.push(chunk.subarray(i, i + take));
        this.#bodyHave += take;
        i += take;
        if (this.#bodyHave === this.#bodyNeeded) this.#finish(Buffer.concat(this.#bodyChunks));
        continue;
      }
      const byte = chunk[i++]!;
      if (this.#head.length === 0 && (byte === CR || byte === LF)) continue;
      this.#head.push(byte);
      if (byte === LF) this.#lfCount++;
      else if (byte !== CR) this.#lfCount = 0;
      if (this.#lfCount === 2 || this.#head.length >= MAX_HEAD_BYTES) this.#endHead();
    }
  }

  #endHead(): void {
    const text = Buffer.from(this.#head).toString('utf8');
    this.#head = [];
    this.#lfCount = 0;
    const lines = text.split(/[\r\n]+/).filter((l) => l !== '');
    const command = lines[0] ?? '';
    const headers: Array<[string, string]> = [['Command', command]];
    let length = 0;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^ +/, '');
      addHeader(headers, name, value);
      if (name.toLowerCase() === 'content-length') length = Number.parseInt(value, 10) || 0;
    }
    if (length > 0) {
      this.#pendingHead = { command, headers, rawHead: text };
      this.#bodyNeeded = length;
      this.#bodyChunks = [];
      this.#bodyHave = 0;
      return;
    }
    this.#onPacket({ command, headers, body: undefined, rawHead: text });
  }

  #finish(bytes: Buffer): void {
    const head = this.#pendingHead!;
    this.#pendingHead = undefined;
    this.#bodyChunks = [];
    // FreeSWITCH stores the body as a C string: it ends at the first NUL.
    let body = bytes.toString('utf8');
    const nul = body.indexOf('\0');
    if (nul >= 0) body = body.slice(0, nul);
    // FreeSWITCH keeps the client's bytes; read as UTF-8, malformed ones become U+FFFD (3 bytes
    // each when written back), so the event's own Content-Length is set to what will be written.
    if (!isUtf8(bytes)) setContentLength(head.headers, Buffer.byteLength(body));
    // (Object.assign: a spread followed by more fields is slow on Node 20's V8.)
    this.#onPacket(Object.assign({}, head, { body }));
  }
}

function setContentLength(headers: Array<[string, string]>, length: number): void {
  for (const header of headers) if (sameName(header[0], 'Content-Length')) header[1] = String(length);
}

const ARRAY_PREFIX = 'ARRAY::';

function sameName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

/**
 * switch_event_add_header_string as read_packet calls it: an empty value adds nothing and
 * deletes every earlier header of that name; `ARRAY::a|:b` pushes its items one by one (so a
 * bare `ARRAY::` adds nothing, and `ARRAY::a` stays a one-item array); anything else is appended.
 */
function addHeader(headers: Array<[string, string]>, name: string, value: string): void {
  if (value === '') {
    deleteHeader(headers, name);
    return;
  }
  if (!value.startsWith(ARRAY_PREFIX)) {
    headers.push([name, value]);
    return;
  }
  if (value.length <= ARRAY_PREFIX.length) return;
  for (const item of value.slice(ARRAY_PREFIX.length).split('|:')) pushItem(headers, name, item);
}

/** SWITCH_STACK_PUSH onto the first header of that name; a new header only for a non-empty item. */
function pushItem(headers: Array<[string, string]>, name: string, item: string): void {
  const existing = headers.find(([n]) => sameName(n, name));
  if (existing !== undefined) {
    const v = existing[1];
    existing[1] = v.startsWith(ARRAY_PREFIX) ? `${v}|:${item}` : `${ARRAY_PREFIX}${v}|:${item}`;
  } else if (item === '') {
    deleteHeader(headers, name);
  } else {
    headers.push([name, ARRAY_PREFIX + item]);
  }
}

function deleteHeader(headers: Array<[string, string]>, name: string): void {
  for (let i = headers.length - 1; i >= 0; i--) if (sameName(headers[i]![0], name)) headers.splice(i, 1);
}
