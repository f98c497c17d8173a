/**
 * The three event encodings FreeSWITCH writes (`text/event-plain`, `-json`, `-xml`), parsed
 * into ordered headers + body, and written back byte for byte as FreeSWITCH writes them.
 * Pure functions over strings and buffers.
 */
import { EslProtocolError } from './errors.js';
import { fsUrlDecode, fsUrlEncode } from './url-encoding.js';

export type EventFormat = 'plain' | 'json' | 'xml';
export type HeaderList = Iterable<readonly [string, string]>;

export interface DecodedEvent {
  headers: Map<string, string>;
  body: string | undefined;
}

const ARRAY_PREFIX = 'ARRAY::';
const ARRAY_SEPARATOR = '|:';

export function splitArrayValue(value: string): string[] | undefined {
  return value.startsWith(ARRAY_PREFIX) ? value.slice(ARRAY_PREFIX.length).split(ARRAY_SEPARATOR) : undefined;
}

export function joinArrayValue(items: readonly string[]): string {
  return ARRAY_PREFIX + items.join(ARRAY_SEPARATOR);
}

// ---------------------------------------------------------------- lazy headers

/**
 * An event's headers before anyone has asked for all of them. `get` must answer exactly what
 * `materialize().get(name)` would; decoding errors are raised when the source is built, never
 * later, so laziness changes the cost of reading an event and nothing else.
 */
export interface HeaderSource {
  get(name: string): string | undefined;
  materialize(): Map<string, string>;
  /** Calls `fn` for each pair `materialize()` would hold, in its order, without building it; absent when the source cannot. */
  forEach?(fn: (value: string, name: string) => void): void;
  /** Lookups worth serving through `get` before building the Map is cheaper. */
  readonly lookupLimit: number;
  /**
   * The headers as JSON text equal to `JSON.stringify(Object.fromEntries(materialize()))` once
   * parsed, when the source can give it without building anything; `undefined` otherwise.
   */
  jsonText?(): string | undefined;
}

// ---------------------------------------------------------------- plain

function malformedLine(text: string, pos: number, eol: number): EslProtocolError {
  return new EslProtocolError(`malformed header line: ${JSON.stringify(text.slice(pos, Math.min(eol, pos + 80)))}`);
}

/**
 * Indexes the `Name: value` lines of `text[0, end)`: four marks per non-empty line (line
 * start, colon, value start, line end). Nothing is sliced or decoded yet.
 * @throws EslProtocolError on a line without a colon: the stream is out of step.
 */
function indexHeaderLines(text: string, end: number): number[] {
  const marks: number[] = [];
  let pos = 0;
  while (pos < end) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0 || eol > end) eol = end;
    if (eol > pos) {
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon >= eol) throw malformedLine(text, pos, eol);
      let v = colon + 1;
      while (v < eol && text.charCodeAt(v) === 0x20) v++;
      marks.push(pos, colon, v, eol);
    }
    pos = eol + 1;
  }
  return marks;
}

/** The raw (still URL-encoded) value of the last line named `name`, as a Map built in order would keep it. */
function lastRawValue(text: string, marks: readonly number[], name: string): string | undefined {
  for (let i = marks.length - 4; i >= 0; i -= 4) {
    const start = marks[i]!;
    if (marks[i + 1]! - start === name.length && text.startsWith(name, start)) return text.slice(marks[i + 2], marks[i + 3]);
  }
  return undefined;
}

/** Headers of a plain event body: indexed at once, sliced and URL-decoded on demand. */
class PlainHeaders implements HeaderSource {
  readonly lookupLimit = 4; // each lookup scans the line index
  readonly #text: string;
  readonly #marks: readonly number[];

  constructor(text: string, marks: readonly number[]) {
    this.#text = text;
    this.#marks = marks;
  }

  get(name: string): string | undefined {
    if (name === 'Content-Length') return undefined; // structural, never a header of the event
    const raw = lastRawValue(this.#text, this.#marks, name);
    return raw === undefined ? undefined : fsUrlDecode(raw);
  }

  materialize(): Map<string, string> {
    const text = this.#text;
    const marks = this.#marks;
    const headers = new Map<string, string>();
    for (let i = 0; i < marks.length; i += 4) {
      headers.set(text.slice(marks[i], marks[i + 1]), fsUrlDecode(text.slice(marks[i + 2], marks[i + 3])));
    }
    headers.delete('Content-Length');
    return headers;
  }
}

function parseContentLength(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d{1,15}$/.test(value)) throw new EslProtocolError(`invalid Content-Length: ${JSON.stringify(value)}`);
  return Number(value);
}

/** The body of a `text/event-plain` frame as a lazy header source and the decoded body. */
export function plainEventSource(buf: Buffer): { headers: HeaderSource; body: string | undefined } {
  let text = buf.toString('utf8');
  let headerEnd: number;
  let bodyStart: number; // byte offset in buf
  if (text.length === buf.length) {
    // All ASCII (FreeSWITCH URL-encodes every other byte): string and byte offsets agree.
    const found = text.indexOf('\n\n');
    headerEnd = found < 0 ? text.length : found;
    bodyStart = headerEnd + 2;
  } else {
    const found = buf.indexOf('\n\n');
    const byteEnd = found < 0 ? buf.length : found;
    text = buf.toString('utf8', 0, byteEnd);
    headerEnd = text.length;
    bodyStart = byteEnd + 2;
  }
  const marks = indexHeaderLines(text, headerEnd);
  // FreeSWITCH writes the structural Content-Length last; sendevent may carry its own earlier.
  const declared = lastRawValue(text, marks, 'Content-Length');
  const length = parseContentLength(declared === undefined ? undefined : fsUrlDecode(declared));
  const headers = new PlainHeaders(text, marks);
  if (length === 0) return { headers, body: undefined };
  if (bodyStart + length > buf.length) {
    throw new EslProtocolError(`event body is ${Math.max(buf.length - bodyStart, 0)} bytes, its Content-Length says ${length}`);
  }
  const body = text.length === buf.length && bodyStart <= text.length ? text.slice(bodyStart, bodyStart + length) : buf.toString('utf8', bodyStart, bodyStart + length);
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

// ---------------------------------------------------------------- json

function jsonHeaderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return joinArrayValue(value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? '' : JSON.stringify(value);
}

/** Headers of a JSON event: the parsed object, normalised to strings on demand. */
class JsonHeaders implements HeaderSource {
  readonly lookupLimit = Infinity; // a property lookup costs no more than a Map lookup
  readonly #object: Record<string, unknown>;
  readonly #text: string;

  constructor(object: Record<string, unknown>, text: string) {
    this.#object = object;
    this.#text = text;
  }

  /**
   * The headers object the bus carries, as text, without building the Map: FreeSWITCH's own
   * text when it is that object already, else the parsed object written out. Only for string
   * values without `_body` or the structural `Content-Length` (else `undefined`: rebuild).
   * A repeated name (cJSON keeps repeats, e.g. `Hangup-Cause`) is never passed through: the
   * parsed object keeps it once, at its first position with its last value, as `materialize`.
   */
  jsonText(): string | undefined {
    const object = this.#object;
    if (Object.hasOwn(object, '_body') || Object.hasOwn(object, 'Content-Length')) return undefined;
    const names = Object.keys(object);
    const values = Object.values(object); // one walk, no lookup by name (see forEach)
    // `{"n":"v",…}` is 6 characters per pair longer than its names and values together, and only
    // when nothing in it is escaped, repeated or spaced out: then it is this object exactly.
    let compact = 1 + 6 * names.length;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value !== 'string') return undefined;
      compact += names[i]!.length + value.length;
    }
    return compact === this.#text.length ? this.#text : JSON.stringify(object);
  }

  get(name: string): string | undefined {
    if (name === '_body' || name === 'Content-Length' || !Object.hasOwn(this.#object, name)) return undefined;
    return jsonHeaderValue(this.#object[name]);
  }

  forEach(fn: (value: string, name: string) => void): void {
    // Keys and values come out in the same order; reading each value by name instead costs a
    // keyed lookup per header on objects of as many shapes as FreeSWITCH has event layouts.
    const object = this.#object;
    const names = Object.keys(object);
    const values = Object.values(object);
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name === '_body' || name === 'Content-Length') continue;
      const value = values[i];
      fn(typeof value === 'string' ? value : jsonHeaderValue(value), name);
    }
  }

  materialize(): Map<string, string> {
    const headers = new Map<string, string>();
    this.forEach((value, name) => headers.set(name, value));
    return headers;
  }
}

/** The body of a `text/event-json` frame as a lazy header source and the body. */
export function jsonEventSource(buf: Buffer): { headers: HeaderSource; body: string | undefined } {
  const text = buf.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new EslProtocolError('text/event-json body is not valid JSON', { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EslProtocolError('text/event-json body is not a JSON object');
  }
  const object = parsed as Record<string, unknown>;
  const raw = object._body;
  const body = raw === undefined ? undefined : typeof raw === 'string' ? raw : JSON.stringify(raw);
  return { headers: new JsonHeaders(object, text), body: body === '' ? undefined : body };
}

/** Parses the body of a `text/event-json` frame. */
export function parseJsonEvent(buf: Buffer): DecodedEvent {
  const { headers, body } = jsonEventSource(buf);
  return { headers: headers.materialize(), body };
}

export function serializeJson(headers: HeaderList, body: string | undefined): string {
  const parts: string[] = [];
  for (const [name, value] of headers) {
    if (name === 'Content-Length') continue;
    const items = splitArrayValue(value);
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(items ?? value)}`);
  }
  if (body !== undefined && body !== '') {
    parts.push(`"Content-Length":"${Buffer.byteLength(body)}"`, `"_body":${JSON.stringify(body)}`);
  }
  return `{${parts.join(',')}}`;
}

// ---------------------------------------------------------------- xml

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, ent: string) => {
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    return XML_ENTITIES[ent] ?? '';
  });
}

function xmlEscapeText(text: string): string {
  return text.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

const XML_HEADER = /<([^\s<>/]+)>([^<]*)<\/\1>/g;

/** Parses the body of a `text/event-xml` frame (FreeSWITCH's switch_event_xmlize layout). */
export function parseXmlEvent(buf: Buffer): DecodedEvent {
  const xml = buf.toString('utf8');
  const open = xml.indexOf('<headers>');
  const close = xml.indexOf('</headers>');
  if (!xml.trimStart().startsWith('<event>') || open < 0 || close < open) {
    throw new EslProtocolError('text/event-xml body is not an <event> with <headers>');
  }
  const headers = new Map<string, string>();
  let previous = '';
  for (const m of xml.slice(open + 9, close).matchAll(XML_HEADER)) {
    const name = m[1]!;
    const value = fsUrlDecode(xmlUnescape(m[2]!));
    const prior = headers.get(name);
    // FreeSWITCH writes the items of an array header as consecutive elements of one name. A
    // name seen again further on is a repeated header (e.g. prep_for_delivery's second
    // Event-Name): like plain and json, the last value wins at the first position.
    if (prior !== undefined && name === previous) headers.set(name, joinArrayValue([...(splitArrayValue(prior) ?? [prior]), value]));
    else headers.set(name, value);
    previous = name;
  }
  headers.delete('Content-Length');
  const tail = xml.slice(close + 10);
  const bodyStart = tail.indexOf('<body>');
  const bodyEnd = tail.lastIndexOf('</body>');
  if (bodyStart < 0 || bodyEnd < bodyStart) return { headers, body: undefined };
  let body = xmlUnescape(tail.slice(bodyStart + 6, bodyEnd));
  const declared = /<Content-Length>(\d+)<\/Content-Length>/.exec(tail);
  if (declared) {
    // FreeSWITCH indents the closing tag inside the text; the declared length is exact.
    body = Buffer.from(body, 'utf8').toString('utf8', 0, Number(declared[1]));
  }
  return { headers, body: body === '' ? undefined : body };
}

export function serializeXml(headers: HeaderList, body: string | undefined): string {
  let out = '<event>\n  <headers>\n';
  for (const [name, value] of headers) {
    if (name === 'Content-Length') continue;
    for (const item of splitArrayValue(value) ?? [value]) {
      out += `    <${name}>${fsUrlEncode(item)}</${name}>\n`;
    }
  }
  out += '  </headers>\n';
  if (body !== undefined && body !== '') {
    out += `  <Content-Length>${Buffer.byteLength(body)}</Content-Length>\n  <body>${xmlEscapeText(body)}  </body>\n`;
  }
  return out + '</event>\n';
}

// ---------------------------------------------------------------- dispatch

export function parseEventBody(format: EventFormat, buf: Buffer): DecodedEvent {
  return format === 'plain' ? parsePlainEvent(buf) : format === 'json' ? parseJsonEvent(buf) : parseXmlEvent(buf);
}

export function serializeEvent(headers: HeaderList, body: string | undefined, format: EventFormat): string {
  return format === 'plain' ? serializePlain(headers, body) : format === 'json' ? serializeJson(headers, body) : serializeXml(headers, body);
}
