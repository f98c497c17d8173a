/**
 * `text/event-json` bodies: one JSON object of headers (array headers as JSON arrays, the body
 * as `_body`). Kept parsed, its values normalised to strings only when read.
 */
import { EslProtocolError } from './errors.js';
import { joinArrayValue, splitArrayValue, type DecodedEvent, type HeaderList, type HeaderSource } from './event-headers.js';

function jsonHeaderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return joinArrayValue(value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? '' : JSON.stringify(value);
}

/**
 * How many characters the escapes of a JSON text (one JSON.parse took) add to what they stand for:
 * `\uXXXX` is 6 for one UTF-16 unit, every other escape 2 for 1. A backslash is an escape's first
 * character wherever it appears in a valid JSON text.
 */
function escapeSurplus(text: string): number {
  let surplus = 0;
  for (let at = text.indexOf('\\'); at >= 0; at = text.indexOf('\\', at)) {
    const unicode = text.charCodeAt(at + 1) === 0x75; // u
    surplus += unicode ? 5 : 1;
    at += unicode ? 6 : 2;
  }
  return surplus;
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
    // `{"n":"v",…}` is 6 characters per pair longer than its names and values together, plus what
    // its escapes add, and only when nothing in it is repeated or spaced out: then it is this
    // object exactly (escaped as FreeSWITCH escapes: a display name's quotes stay `\"`).
    const text = this.#text;
    let compact = 1 + 6 * names.length + escapeSurplus(text);
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value !== 'string') return undefined;
      compact += names[i]!.length + value.length;
    }
    return compact === text.length ? text : JSON.stringify(object);
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
