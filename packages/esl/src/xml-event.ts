/**
 * `text/event-xml` bodies, in the layout of FreeSWITCH's switch_event_xmlize: one element per
 * header (one per item of an array header), URL-encoded values, then the body.
 */
import { EslProtocolError } from './errors.js';
import { joinArrayValue, splitArrayValue, type DecodedEvent, type HeaderList } from './event-headers.js';
import { fsUrlDecode, fsUrlEncode } from './url-encoding.js';

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

// `<Name>value</Name>`, or `<Name/>`: FreeSWITCH writes an empty value with both tags, other writers self-close it.
const XML_HEADER = /<([^\s<>/]+)(?:\/>|>([^<]*)<\/\1>)/g;

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
    const value = m[2] === undefined ? '' : fsUrlDecode(xmlUnescape(m[2]));
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
