/**
 * The three event encodings FreeSWITCH writes (`text/event-plain`, `-json`, `-xml`), parsed
 * into ordered headers + body, and written back byte for byte as FreeSWITCH writes them.
 * Pure functions over strings and buffers.
 */
import { EslProtocolError } from './errors.js';
import { contentLength, parseHeaderBlock } from './parser.js';
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

// ---------------------------------------------------------------- plain

/** Parses the body of a `text/event-plain` frame. */
export function parsePlainEvent(buf: Buffer): DecodedEvent {
  let end = buf.indexOf('\n\n');
  const headerEnd = end < 0 ? buf.length : end;
  const headers = parseHeaderBlock(buf, headerEnd, true);
  const length = contentLength(headers);
  headers.delete('Content-Length');
  if (length === 0) return { headers, body: undefined };
  end = headerEnd + 2;
  if (end + length > buf.length) {
    throw new EslProtocolError(`event body is ${buf.length - end} bytes, its Content-Length says ${length}`);
  }
  return { headers, body: buf.toString('utf8', end, end + length) };
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

/** Parses the body of a `text/event-json` frame. */
export function parseJsonEvent(buf: Buffer): DecodedEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new EslProtocolError('text/event-json body is not valid JSON', { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EslProtocolError('text/event-json body is not a JSON object');
  }
  const headers = new Map<string, string>();
  let body: string | undefined;
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '_body') body = typeof value === 'string' ? value : JSON.stringify(value);
    else if (name === 'Content-Length') continue;
    else if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, joinArrayValue(value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))));
    else headers.set(name, typeof value === 'number' || typeof value === 'boolean' ? String(value) : value === null ? '' : JSON.stringify(value));
  }
  return { headers, body: body === '' ? undefined : body };
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
  for (const m of xml.slice(open + 9, close).matchAll(XML_HEADER)) {
    const name = m[1]!;
    if (name === 'Content-Length') continue;
    const value = fsUrlDecode(xmlUnescape(m[2]!));
    const prior = headers.get(name);
    // FreeSWITCH writes each item of an array header as its own element.
    headers.set(name, prior === undefined ? value : joinArrayValue([...(splitArrayValue(prior) ?? [prior]), value]));
  }
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
  return out + '</event>';
}

// ---------------------------------------------------------------- dispatch

export function parseEventBody(format: EventFormat, buf: Buffer): DecodedEvent {
  return format === 'plain' ? parsePlainEvent(buf) : format === 'json' ? parseJsonEvent(buf) : parseXmlEvent(buf);
}

export function serializeEvent(headers: HeaderList, body: string | undefined, format: EventFormat): string {
  return format === 'plain' ? serializePlain(headers, body) : format === 'json' ? serializeJson(headers, body) : serializeXml(headers, body);
}
