/**
 * The three event encodings FreeSWITCH writes (`text/event-plain`, `-json`, `-xml`), parsed
 * into ordered headers + body, and written back byte for byte as FreeSWITCH writes them.
 * Pure functions over strings and buffers; one file per encoding.
 */
import type { DecodedEvent, EventFormat, HeaderList } from './event-headers.js';
import { jsonEventSource, parseJsonEvent, serializeJson } from './json-event.js';
import { parsePlainEvent, plainEventSource, serializePlain } from './plain-event.js';
import { parseXmlEvent, serializeXml } from './xml-event.js';

export { joinArrayValue, splitArrayValue } from './event-headers.js';
export type { DecodedEvent, EventFormat, HeaderList, HeaderSource } from './event-headers.js';
export { jsonEventSource, parseJsonEvent, parsePlainEvent, parseXmlEvent, plainEventSource, serializeJson, serializePlain, serializeXml };

export function parseEventBody(format: EventFormat, buf: Buffer): DecodedEvent {
  return format === 'plain' ? parsePlainEvent(buf) : format === 'json' ? parseJsonEvent(buf) : parseXmlEvent(buf);
}

export function serializeEvent(headers: HeaderList, body: string | undefined, format: EventFormat): string {
  return format === 'plain' ? serializePlain(headers, body) : format === 'json' ? serializeJson(headers, body) : serializeXml(headers, body);
}
