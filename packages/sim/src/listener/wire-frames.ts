/**
 * The frames mod_event_socket writes, byte for byte: command replies, api responses, events in
 * the three encodings, log/data, disconnect notices and the ACL rejection.
 *
 * Event bodies are written here rather than with @fsbus/esl's serializers because FreeSWITCH
 * keeps a `Content-Length` that is one of the event's own headers (a `sendevent` with a body
 * records the client's `Content-Length` among the headers) and writes it twice; the library's
 * serializers, made for round-tripping parsed events, drop it.
 */
import { fsUrlEncode, splitArrayValue } from '@fsbus/esl';
import type { CoreEvent, CoreLogLine } from '../core/types.js';

export type EventFormat = 'plain' | 'json' | 'xml';
type Headers = ReadonlyArray<readonly [string, string]>;

export const GOODBYE_TEXT = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';
export const SHUTDOWN_TEXT = 'The system is being shut down.\n';
export const REJECTION_TEXT = 'Access Denied, go away.\n';

export function authRequest(): string {
  return 'Content-Type: auth/request\n\n';
}

/** `command/reply` with a `Reply-Text`, plus extra headers FreeSWITCH adds (Job-UUID, Allowed-*). */
export function commandReply(text: string, extra: Headers = []): string {
  let out = `Content-Type: command/reply\nReply-Text: ${text}\n`;
  for (const [n, v] of extra) out += `${n}: ${v}\n`;
  return out + '\n';
}

export function apiResponse(body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${bytes.length}\n\n`), bytes]);
}

/** switch_event_serialize: every header URL-encoded (`_undef_` when empty), then the body. */
export function plainEventBody(headers: Headers, body: string | undefined): string {
  let out = '';
  for (const [name, value] of headers) {
    const encoded = fsUrlEncode(value.startsWith('ARRAY::') ? plainArrayValue(value) : value);
    out += `${name}: ${encoded === '' ? '_undef_' : encoded}\n`;
  }
  if (body === undefined || body === '') return out + '\n';
  return `${out}Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

/** A one-item array header is its item in plain (switch_event_base_add_header prefixes ARRAY:: from two on). */
function plainArrayValue(value: string): string {
  return value.includes('|:', 7) ? value : value.slice(7);
}

// Strings JSON.stringify would write unchanged between quotes: no quote, backslash, control
// character or surrogate. Most header values are, and quoting them directly halves the cost.
const JSON_VERBATIM = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

function jsonQuote(text: string): string {
  return JSON_VERBATIM.test(text) ? `"${text}"` : JSON.stringify(text);
}

// Header names repeat from event to event: `"Name":` is quoted once. Bounded, so names made up
// by clients (sendevent) cannot grow it without limit: a full cache starts over. (Caching values
// too was measured slower: most of them are new strings each event.)
const QUOTED_NAMES_MAX = 4096;
const quotedNames = new Map<string, string>();

function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    if (quotedNames.size >= QUOTED_NAMES_MAX) quotedNames.clear();
    quoted = `${jsonQuote(name)}:`;
    quotedNames.set(name, quoted);
  }
  return quoted;
}

/** switch_event_serialize_json: cJSON unformatted, duplicate names kept, arrays for ARRAY:: values. */
export function jsonEventBody(headers: Headers, body: string | undefined): string {
  let out = '{';
  for (const [name, value] of headers) {
    if (out.length > 1) out += ',';
    const items = splitArrayValue(value);
    out += quotedName(name) + (items === undefined ? jsonQuote(value) : JSON.stringify(items));
  }
  // switch_event_serialize_json tests event->body only: an empty body ("" from an api with no
  // output) still gives "Content-Length":"0","_body":"" (plain and xml leave an empty one out).
  if (body !== undefined) {
    out += `${out.length > 1 ? ',' : ''}"Content-Length":"${Buffer.byteLength(body)}","_body":${JSON.stringify(body)}`;
  }
  return out + '}';
}

const XML_NEEDS_WORK = /[&<>\r\u0080-\uffff]/;

/**
 * switch_xml_ampencode for element text, with the UTF-8 encoding switch_xml_toxml turns on: `&`,
 * `<`, `>` and CR escaped, every non-ASCII character written as `&#x<HEX>;` (upper case, no
 * leading zeros), and from a `<!` on the rest copied as it is. (A lone surrogate would go out as
 * the UTF-8 of U+FFFD, so it is U+FFFD's reference.)
 */
function xmlText(text: string): string {
  if (!XML_NEEDS_WORK.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x26) out += '&amp;';
    else if (c === 0x3c) {
      if (text.charCodeAt(i + 1) === 0x21) return out + text.slice(i);
      out += '&lt;';
    } else if (c === 0x3e) out += '&gt;';
    else if (c === 0x0d) out += '&#xD;';
    else if (c < 0x80) out += text[i];
    else {
      let cp = text.codePointAt(i)!;
      if (cp > 0xffff) i++;
      else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      out += `&#x${cp.toString(16).toUpperCase()};`;
    }
  }
  return out;
}

/** switch_event_xmlize + switch_xml_toxml, with the line feed FreeSWITCH counts into the frame. */
export function xmlEventBody(headers: Headers, body: string | undefined): string {
  let out = '<event>\n  <headers>\n';
  for (const [name, value] of headers) {
    for (const item of splitArrayValue(value) ?? [value]) {
      // URL-encoded, a value has nothing left that switch_xml_ampencode would change.
      const text = fsUrlEncode(item);
      // An empty value too gets both tags: switch_xml_toxml self-closes only an element whose txt is
      // NULL, and add_xml_header always sets one ("" here).
      out += `    <${name}>${text}</${name}>\n`;
    }
  }
  out += '  </headers>\n';
  if (body !== undefined && body !== '') {
    out += `  <Content-Length>${Buffer.byteLength(body)}</Content-Length>\n  <body>${xmlText(body)}  </body>\n`;
  }
  return out + '</event>\n';
}

export function eventBody(event: Pick<CoreEvent, 'headers' | 'body'>, format: EventFormat): string {
  return format === 'plain'
    ? plainEventBody(event.headers, event.body)
    : format === 'json'
      ? jsonEventBody(event.headers, event.body)
      : xmlEventBody(event.headers, event.body);
}

/** An event frame: `Content-Length` first, then `Content-Type: text/event-<format>`. Built once per encoding, shared by every listener of it. */
export function eventFrame(event: Pick<CoreEvent, 'headers' | 'body' | 'frames'>, format: EventFormat): Buffer {
  const cached = event.frames?.[format];
  if (cached !== undefined) return cached;
  const body = eventBody(event, format);
  const frame = Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-${format}\n\n${body}`, 'utf8');
  (event.frames ??= {})[format] = frame;
  return frame;
}

/** SWITCH_CHANNEL_ID_LOG = 0, _LOG_CLEAN = 1, _SESSION = 3 (as seen in the captures). */
function textChannel(line: CoreLogLine): number {
  if (line.channel !== undefined) return line.channel;
  if (!/^\d{4}-\d\d-\d\d /.test(line.text)) return 1;
  return line.uuid === undefined ? 0 : 3;
}

export function logFrame(line: CoreLogLine): Buffer {
  const bytes = Buffer.from(line.text, 'utf8');
  const head =
    `Content-Type: log/data\nContent-Length: ${bytes.length}\nLog-Level: ${line.level}\n` +
    `Text-Channel: ${textChannel(line)}\nLog-File: ${line.file}\nLog-Func: ${line.func}\n` +
    `Log-Line: ${line.line}\nUser-Data: ${line.uuid ?? ''}\n\n`;
  return Buffer.concat([Buffer.from(head), bytes]);
}

/** send_disconnect: with the controlled session's uuid when there is one. */
export function disconnectNotice(message: string, sessionUuid: string | undefined): Buffer {
  const bytes = Buffer.from(message, 'utf8');
  const head =
    sessionUuid === undefined
      ? `Content-Type: text/disconnect-notice\nContent-Length: ${bytes.length}\n\n`
      : `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${sessionUuid}\n` +
        `Content-Disposition: disconnect\nContent-Length: ${bytes.length}\n\n`;
  return Buffer.concat([Buffer.from(head), bytes]);
}

/** The notice a lingering outbound session gets when its channel hangs up. */
export function lingerNotice(sessionUuid: string, channelName: string, lingerSeconds: number): string {
  return (
    `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${sessionUuid}\nContent-Disposition: linger\n` +
    `Channel-Name: ${channelName}\nLinger-Time: ${lingerSeconds}\nContent-Length: 0\n\n`
  );
}

export function rudeRejection(): string {
  return `Content-Type: text/rude-rejection\nContent-Length: ${Buffer.byteLength(REJECTION_TEXT)}\n\n${REJECTION_TEXT}`;
}
