/**
 * The recent events (a bounded ring): summaries for the stream, full headers on demand, and a
 * channel's events in order for the per-call timeline.
 */
import { MAX_NODE_ID_LENGTH, type EventPayload } from '@fsbus/contract';
import type { EventDetail, EventView } from './protocol.js';
import { cutText, MAX_UUID_LENGTH, textBytes } from './text-caps.js';

/** Events kept for the page (headers included). @default 2000 */
export const DEFAULT_EVENT_HISTORY = 2000;
/**
 * Bytes the kept events take in the heap (see sizeOf): a count alone let 2,000 events of 1 MiB
 * each take ~2 GB. The oldest go first. @default 64 MiB
 */
export const DEFAULT_EVENT_HISTORY_BYTES = 64 * 1024 * 1024;
/** Characters of an event's summary and name (sent to every page); longer ends with "…". */
export const MAX_SUMMARY_CHARS = 200;
/**
 * What V8 takes besides the characters (Node 20, measured): per header, its slot in the headers
 * object and the value's string header (45-80 bytes); per event, the view, the detail and the
 * headers object (~260 bytes). Without it 1 MiB of tiny headers (~130,000) counted ~0.6 MB and took ~9 MB.
 */
const HEADER_OVERHEAD = 80;
const EVENT_OVERHEAD = 256;
/** The highest id any log of this process gave: a log started after it (a restarted dashboard in one process) begins past it. */
let highestIssued = 0;

export class EventLog {
  readonly #ring: EventDetail[] = [];
  /** Size of each kept event, same order as the ring. */
  readonly #sizes: number[] = [];
  readonly #max: number;
  readonly #maxBytes: number;
  #bytes = 0;
  #nextId: number;

  /**
   * `firstId` defaults to the start time in µs: a restarted server's ids begin past every id the
   * one before it gave (it would have had to take a million events a second), so a page holding
   * old ids (a paused list) gets a 404 for them, never another event. Still a safe integer until 2255.
   */
  constructor(max = DEFAULT_EVENT_HISTORY, maxBytes = DEFAULT_EVENT_HISTORY_BYTES, firstId = Math.max(Date.now() * 1000, highestIssued + 1)) {
    this.#max = Math.max(1, max);
    this.#maxBytes = Math.max(1, maxBytes);
    this.#nextId = firstId;
  }

  /** Bytes of the kept events (see DEFAULT_EVENT_HISTORY_BYTES). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#ring.length;
  }

  add(e: EventPayload): EventView {
    return this.record(e).view;
  }

  /** Keeps the event; returns its summary, the kept detail and its size (the call timelines share both). */
  record(e: EventPayload): { view: EventView; detail: EventDetail; size: number } {
    const view: EventView = {
      id: (highestIssued = this.#nextId++),
      name: cutText(displayName(e), MAX_SUMMARY_CHARS),
      node_id: cutText(e.node_id, MAX_NODE_ID_LENGTH),
      timestamp: e.timestamp,
      summary: summarize(e),
    };
    const uuid = e.uuid ?? e.headers['Unique-ID'];
    // A longer one is no channel's (text-caps.ts): the event keeps it in its headers, not as a link.
    if (uuid !== undefined && uuid !== '' && uuid.length <= MAX_UUID_LENGTH) view.uuid = uuid;
    // Not `{ ...view, headers }`: V8 11 (Node 20) builds a literal that adds fields after a spread slowly.
    const detail: EventDetail = Object.assign({}, view, { headers: e.headers });
    if (e.body !== undefined) detail.body = e.body;
    const size = sizeOf(e, view);
    this.#ring.push(detail);
    this.#sizes.push(size);
    this.#bytes += size;
    // The newest event always stays (a timeline needs it), even alone over the byte bound.
    while (this.#ring.length > 1 && (this.#ring.length > this.#max || this.#bytes > this.#maxBytes)) {
      this.#ring.shift();
      this.#bytes -= this.#sizes.shift() ?? 0;
    }
    return { view, detail, size };
  }

  /** The last `n` summaries, oldest first. */
  recent(n: number): EventView[] {
    return this.#ring.slice(-n).map(toView);
  }

  get(id: number): EventDetail | undefined {
    // Ids are consecutive, so the position is computed, not searched.
    const first = this.#ring[0];
    if (first === undefined) return undefined;
    return this.#ring[id - first.id];
  }

  /**
   * Every kept event of one channel and of its other leg, in the order they arrived. The other
   * leg names this one in Other-Leg-Unique-ID (a bridge) or, for the two halves of a loopback
   * channel, in variable_other_loopback_leg_uuid (no Other-Leg header on either half).
   */
  timeline(uuid: string): EventDetail[] {
    return this.#ring.filter((e) => ofCall(e, uuid));
  }

  /** The events of `uuid`'s timeline among the last `window` kept, with their sizes: what a new call timeline starts with. */
  recentOf(uuid: string, window: number): Array<{ detail: EventDetail; size: number }> {
    const out: Array<{ detail: EventDetail; size: number }> = [];
    for (let i = Math.max(0, this.#ring.length - window); i < this.#ring.length; i++) {
      const detail = this.#ring[i]!;
      if (ofCall(detail, uuid)) out.push({ detail, size: this.#sizes[i] ?? 0 });
    }
    return out;
  }
}

function ofCall(e: EventDetail, uuid: string): boolean {
  return e.uuid === uuid || e.headers['Other-Leg-Unique-ID'] === uuid || e.headers['variable_other_loopback_leg_uuid'] === uuid;
}

/**
 * About what one kept event takes in the heap: its strings at 1 or 2 bytes a character (as V8
 * stores them, see textBytes), its summary and name (copies), and what V8 adds per header and event.
 * Names of headers are counted although V8 shares them between events: they pay for the slots.
 */
function sizeOf(e: EventPayload, view: EventView): number {
  let n = EVENT_OVERHEAD + textBytes(view.name) + textBytes(view.summary) + textBytes(e.node_id) + (e.uuid === undefined ? 0 : textBytes(e.uuid));
  if (e.body !== undefined) n += textBytes(e.body);
  const h = e.headers;
  // for…in, not Object.entries: a third of the time, and no array per header.
  for (const k in h) n += HEADER_OVERHEAD + textBytes(k) + textBytes(h[k] ?? '');
  return n;
}

function toView(d: EventDetail): EventView {
  const v: EventView = { id: d.id, name: d.name, node_id: d.node_id, timestamp: d.timestamp, summary: d.summary };
  if (d.uuid !== undefined) v.uuid = d.uuid;
  return v;
}

function displayName(e: EventPayload): string {
  const sub = e.headers['Event-Subclass'];
  return e.event_name === 'CUSTOM' && sub !== undefined && sub !== '' ? `CUSTOM ${sub}` : e.event_name;
}

/** A short line that tells the event apart at a glance. */
function summarize(e: EventPayload): string {
  const h = e.headers;
  const parts: string[] = [];
  // Each part is cut first: no line of megabytes is built only to be cut.
  const add = (v: string | undefined): void => {
    if (v !== undefined && v !== '') parts.push(cutText(v, MAX_SUMMARY_CHARS));
  };
  add(h['Channel-Name']);
  switch (e.event_name) {
    case 'CHANNEL_EXECUTE':
    case 'CHANNEL_EXECUTE_COMPLETE':
      add(h['Application'] === undefined ? undefined : `${cutText(h['Application'], MAX_SUMMARY_CHARS)} ${cutText(h['Application-Data'] ?? '', MAX_SUMMARY_CHARS)}`.trim());
      break;
    case 'CHANNEL_HANGUP':
    case 'CHANNEL_HANGUP_COMPLETE':
      add(h['Hangup-Cause']);
      break;
    case 'CHANNEL_CALLSTATE':
      add(h['Channel-Call-State']);
      break;
    case 'CHANNEL_STATE':
      add(h['Channel-State']);
      break;
    case 'BACKGROUND_JOB':
      add(h['Job-Command']);
      add(e.body?.split('\n')[0]);
      break;
    case 'DTMF':
      add(h['DTMF-Digit']);
      break;
    default:
      break;
  }
  return cutText(parts.join(' · '), MAX_SUMMARY_CHARS);
}
