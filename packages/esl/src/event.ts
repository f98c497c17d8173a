/**
 * EslEvent: one FreeSWITCH event, whatever encoding it arrived in. Header values are kept
 * decoded, in wire order; an array header keeps FreeSWITCH's `ARRAY::a|:b` form so that
 * every encoding round-trips. `Content-Length` is structural (derived from the body) and is
 * not kept as a header: the constructor and addHeader drop it in any case, as FreeSWITCH reads a
 * sendevent's `content-length` in any case as the body's length (sendevent skips one set on
 * `headers` directly). A header FreeSWITCH repeats keeps its first position and its last value.
 *
 * Events decoded from the wire keep their headers undecoded until they are needed: a few
 * `getHeader` calls read them straight from the wire text; `headers`, iteration or any change
 * builds the Map once. Either way the answers are the same.
 */
import type { EventName } from './event-names.js';
import { joinArrayValue, serializeEvent, splitArrayValue, type EventFormat, type HeaderSource } from './event-codec.js';

/** FreeSWITCH's marker for a header that exists without a value. */
export const UNDEF_VALUE = '_undef_';

export type HeaderInit = Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

let attach: (event: EslEvent, headers: Map<string, string> | undefined, source: HeaderSource | undefined) => void;

/** An event over decoded headers, adopted without a copy (the caller hands them over). */
export function eventFromMap(headers: Map<string, string>, body: string | undefined): EslEvent {
  const event = new EslEvent(undefined, body);
  attach(event, headers, undefined);
  return event;
}

/** An event whose headers are read from `source` until they are needed as a Map. */
export function eventFromSource(source: HeaderSource, body: string | undefined): EslEvent {
  const event = new EslEvent(undefined, body);
  attach(event, undefined, source);
  return event;
}

/** A `Content-Length` header name in any case (FreeSWITCH compares it so). */
export function isContentLength(name: string): boolean {
  return name.length === 14 && name.toLowerCase() === 'content-length';
}

export class EslEvent {
  #headers: Map<string, string> | undefined;
  #source: HeaderSource | undefined;
  #lookups = 0;
  #body: string | undefined;

  static {
    attach = (event, headers, source) => {
      event.#headers = headers;
      event.#source = source;
    };
  }

  constructor(headers?: HeaderInit, body?: string) {
    if (headers !== undefined) {
      this.#headers = Symbol.iterator in headers ? new Map(headers as Iterable<[string, string]>) : new Map(Object.entries(headers));
      for (const name of this.#headers.keys()) if (isContentLength(name)) this.#headers.delete(name);
    }
    this.#body = body === '' ? undefined : body;
  }

  /** All headers in wire order, values decoded (array headers as `ARRAY::a|:b`). Mutations show in `serialize`. */
  get headers(): Map<string, string> {
    if (this.#headers === undefined) {
      this.#headers = this.#source?.materialize() ?? new Map<string, string>();
      this.#source = undefined;
    }
    return this.#headers;
  }

  /**
   * Calls `fn` with each header as iterating `headers` gives it (value, name; wire order), without
   * building that Map when the event came from the wire as JSON or plain — the cheap way to read them all.
   */
  forEachHeader(fn: (value: string, name: string) => void): void {
    if (this.#headers === undefined && this.#source?.forEach !== undefined) this.#source.forEach(fn);
    else for (const [name, value] of this.headers) fn(value, name);
  }

  #get(name: string): string | undefined {
    if (this.#headers !== undefined) return this.#headers.get(name);
    if (this.#source === undefined) return undefined;
    if (++this.#lookups > this.#source.lookupLimit) return this.headers.get(name);
    return this.#source.get(name);
  }

  /** A new event to send with `sendevent`, like modesl's `new Event(type, subclass)`. */
  static create(name: EventName, subclass?: string): EslEvent {
    const event = new EslEvent([['Event-Name', name]]);
    if (subclass !== undefined) event.headers.set('Event-Subclass', subclass);
    return event;
  }

  /** `Event-Name`, e.g. `CHANNEL_ANSWER`. */
  get name(): string {
    return this.#get('Event-Name') ?? '';
  }

  /** `Event-Subclass` of CUSTOM events, e.g. `sofia::register`. */
  get subclass(): string | undefined {
    return this.getHeader('Event-Subclass');
  }

  /** The channel this event is about (`Unique-ID`), if any. */
  get uuid(): string | undefined {
    return this.getHeader('Unique-ID');
  }

  get body(): string | undefined {
    return this.#body;
  }

  /** The header's value; `undefined` when absent or FreeSWITCH's `_undef_`. */
  getHeader(name: string): string | undefined {
    const value = this.#get(name);
    return value === UNDEF_VALUE ? undefined : value;
  }

  /** The items of an `ARRAY::a|:b` header; a plain header is a one-item array. */
  getHeaderArray(name: string): string[] | undefined {
    const value = this.getHeader(name);
    if (value === undefined) return undefined;
    return splitArrayValue(value) ?? [value];
  }

  /** modesl-compatible alias of `name`. */
  getType(): string {
    return this.name;
  }

  getBody(): string | undefined {
    return this.#body;
  }

  /** Sets a header, replacing any value it had (a `Content-Length`, in any case, is ignored: the body gives it). */
  addHeader(name: string, value: string): this {
    if (isContentLength(name)) return this;
    this.headers.set(name, value);
    return this;
  }

  /** Sets a header to FreeSWITCH's array form from its items. */
  addHeaderArray(name: string, items: readonly string[]): this {
    return this.addHeader(name, items.length === 1 ? items[0]! : joinArrayValue(items));
  }

  delHeader(name: string): this {
    this.headers.delete(name);
    return this;
  }

  /** Appends to the body (modesl semantics). */
  addBody(text: string): this {
    this.#body = (this.#body ?? '') + text;
    if (this.#body === '') this.#body = undefined;
    return this;
  }

  setBody(text: string | undefined): this {
    this.#body = text === '' ? undefined : text;
    return this;
  }

  /** The event as FreeSWITCH writes it in the body of a `text/event-<format>` frame. */
  serialize(format: EventFormat = 'plain'): string {
    return serializeEvent(this.headers, this.#body, format);
  }

  /** Headers as a plain object (e.g. for JSON), array headers as their `ARRAY::` string. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this.headers);
  }

  /**
   * `JSON.stringify(event.toObject())`, the shape a bus carries. A JSON event read from the wire
   * and never changed gives FreeSWITCH's own text when it already has that shape, so relaying an
   * event costs no rebuild of its headers.
   */
  toJson(): string {
    if (this.#headers === undefined) {
      const text = this.#source?.jsonText?.();
      if (text !== undefined) return text;
    }
    return JSON.stringify(this.toObject());
  }
}
