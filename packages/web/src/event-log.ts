/**
 * The recent events (a bounded ring): summaries for the stream, full headers on demand, and a
 * channel's events in order for the per-call timeline.
 */
import type { EventPayload } from '@fsbus/contract';
import type { EventDetail, EventView } from './protocol.js';

/** Events kept for the page (headers included). @default 2000 */
export const DEFAULT_EVENT_HISTORY = 2000;

export class EventLog {
  readonly #ring: EventDetail[] = [];
  readonly #max: number;
  #nextId = 1;

  constructor(max = DEFAULT_EVENT_HISTORY) {
    this.#max = Math.max(1, max);
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
    const detail: EventDetail = { ...view, headers: e.headers };
    if (e.body !== undefined) detail.body = e.body;
    this.#ring.push(detail);
    if (this.#ring.length > this.#max) this.#ring.shift();
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

  /** Every kept event of one channel, in the order they arrived. */
  timeline(uuid: string): EventDetail[] {
    return this.#ring.filter((e) => e.uuid === uuid || e.headers['Other-Leg-Unique-ID'] === uuid);
  }
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
