/**
 * The recent events (a bounded ring): summaries for the stream, full headers on demand, and a
 * channel's events in order for the per-call timeline.
 */
import type { EventPayload } from '@fsbus/contract';
import type { EventDetail, EventView } from './protocol.js';

/** Events kept for the page (headers included). @default 2000 */
export const DEFAULT_EVENT_HISTORY = 2000;
/**
 * Bytes of headers and bodies kept (UTF-16 length of names and values, about what the heap holds):
 * a count alone let 2,000 events of 1 MiB each take ~2 GB. The oldest go first. @default 64 MiB
 */
export const DEFAULT_EVENT_HISTORY_BYTES = 64 * 1024 * 1024;

export class EventLog {
  readonly #ring: EventDetail[] = [];
  /** Size of each kept event, same order as the ring. */
  readonly #sizes: number[] = [];
  readonly #max: number;
  readonly #maxBytes: number;
  #bytes = 0;
  #nextId = 1;

  constructor(max = DEFAULT_EVENT_HISTORY, maxBytes = DEFAULT_EVENT_HISTORY_BYTES) {
    this.#max = Math.max(1, max);
    this.#maxBytes = Math.max(1, maxBytes);
  }

  /** Bytes of the kept events (see DEFAULT_EVENT_HISTORY_BYTES). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#ring.length;
  }

  add(e: EventPayload): EventView {
    const view: EventView = {
      id: this.#nextId++,
      name: displayName(e),
      node_id: e.node_id,
      timestamp: e.timestamp,
      summary: summarize(e),
    };
    const uuid = e.uuid ?? e.headers['Unique-ID'];
    if (uuid !== undefined && uuid !== '') view.uuid = uuid;
    // Not `{ ...view, headers }`: V8 11 (Node 20) builds a literal that adds fields after a spread slowly.
    const detail: EventDetail = Object.assign({}, view, { headers: e.headers });
    if (e.body !== undefined) detail.body = e.body;
    const size = sizeOf(e);
    this.#ring.push(detail);
    this.#sizes.push(size);
    this.#bytes += size;
    // The newest event always stays (a timeline needs it), even alone over the byte bound.
    while (this.#ring.length > 1 && (this.#ring.length > this.#max || this.#bytes > this.#maxBytes)) {
      this.#ring.shift();
      this.#bytes -= this.#sizes.shift() ?? 0;
    }
    return view;
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
    return this.#ring.filter(
      (e) => e.uuid === uuid || e.headers['Other-Leg-Unique-ID'] === uuid || e.headers['variable_other_loopback_leg_uuid'] === uuid,
    );
  }
}

function sizeOf(e: EventPayload): number {
  let n = e.body?.length ?? 0;
  for (const [k, v] of Object.entries(e.headers)) n += k.length + v.length;
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
  const add = (v: string | undefined): void => {
    if (v !== undefined && v !== '') parts.push(v);
  };
  add(h['Channel-Name']);
  switch (e.event_name) {
    case 'CHANNEL_EXECUTE':
    case 'CHANNEL_EXECUTE_COMPLETE':
      add(h['Application'] === undefined ? undefined : `${h['Application']} ${h['Application-Data'] ?? ''}`.trim());
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
  return parts.join(' · ');
}
