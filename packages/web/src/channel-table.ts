/**
 * The live channel table, kept from events (CHANNEL_CREATE … CHANNEL_HANGUP_COMPLETE) and, when a
 * node appears or the bus comes back, from its `show channels as json` (what was missed).
 */
import { MAX_NODE_ID_LENGTH, type EventPayload } from '@fsbus/contract';
import type { ChannelView, TableView } from './protocol.js';
import { cutText, MAX_FIELD_CHARS, MAX_UUID_LENGTH } from './text-caps.js';

/**
 * Channels kept at most (bounded like every buffer here); past it the oldest row is dropped and
 * reported as a removal (as a hangup would be), so open pages drop it too. @default 5000
 */
export const DEFAULT_MAX_CHANNELS = 5000;
/** Channels remembered after they ended (or were dropped), so a late event cannot bring one back; their timelines are kept as long. */
export const ENDED_MEMORY = 2000;

const ENDING = new Set(['CHANNEL_HANGUP_COMPLETE', 'CHANNEL_DESTROY']);
const DEAD_STATES = new Set(['CS_HANGUP', 'CS_REPORTING', 'CS_DESTROY']);

export interface TableChange {
  upserts: ChannelView[];
  removes: string[];
}

export class ChannelTable {
  readonly #rows = new Map<string, ChannelView>();
  readonly #ended = new Set<string>();
  /**
   * Live channels dropped to make room: while the table is full their later events (an answer,
   * an application) do not bring them back, which would only push a newer one out and count as
   * dropped again. Once there is room, their next event (or a listing) does.
   */
  readonly #dropped = new Set<string>();
  readonly #max: number;
  #evicted = 0;

  constructor(max = DEFAULT_MAX_CHANNELS) {
    this.#max = Math.max(1, max);
  }

  get size(): number {
    return this.#rows.size;
  }

  get max(): number {
    return this.#max;
  }

  /** Live channels dropped so far because the table was full. */
  get evicted(): number {
    return this.#evicted;
  }

  /** What the page shows of the table itself: its bound and what it dropped. */
  view(): TableView {
    return { max: this.#max, evicted: this.#evicted };
  }

  list(): ChannelView[] {
    return [...this.#rows.values()];
  }

  get(uuid: string): ChannelView | undefined {
    return this.#rows.get(uuid);
  }

  /**
   * Applies one event; returns what changed (nothing for non-channel events). A live row listed
   * under another node for which `claims(owner)` holds (the dashboard: that node is offline) is
   * the event's node's from then on: two agents on one FreeSWITCH both tell its calls.
   */
  apply(e: EventPayload, claims?: (owner: string) => boolean): TableChange | undefined {
    const h = e.headers;
    const uuid = e.uuid ?? h['Unique-ID'];
    if (uuid === undefined || uuid === '' || !e.event_name.startsWith('CHANNEL_')) return undefined;
    // Keys are never cut: no FreeSWITCH, no agent sends longer ones.
    if (uuid.length > MAX_UUID_LENGTH || e.node_id.length > MAX_NODE_ID_LENGTH) return undefined;
    if (ENDING.has(e.event_name) || e.event_name === 'CHANNEL_HANGUP') {
      if (e.event_name !== 'CHANNEL_HANGUP') return this.#remove(uuid);
      const row = this.#rows.get(uuid);
      if (row === undefined) return undefined;
      row.state = 'HANGUP';
      return { upserts: [row], removes: [] };
    }
    if (this.#ended.has(uuid) || DEAD_STATES.has(h['Channel-State'] ?? '')) return undefined;
    let row = this.#rows.get(uuid);
    const removes: string[] = [];
    if (row === undefined) {
      if (this.#dropped.has(uuid) && this.#rows.size >= this.#max) return undefined;
      row = {
        uuid,
        node_id: e.node_id,
        direction: field(h['Call-Direction'] ?? h['Caller-Direction'] ?? ''),
        caller: field(callerOf(h)),
        destination: field(h['Caller-Destination-Number'] ?? ''),
        name: field(h['Channel-Name'] ?? ''),
        state: 'DOWN',
        application: '',
        created: micros(h['Caller-Channel-Created-Time']) ?? Math.floor(e.timestamp / 1000),
      };
      removes.push(...this.#insert(row));
    } else if (row.node_id !== e.node_id && claims?.(row.node_id) === true) {
      row.node_id = e.node_id;
    }
    const callState = h['Channel-Call-State'];
    if (callState !== undefined && callState !== '') row.state = field(callState);
    if (e.event_name === 'CHANNEL_ANSWER') {
      row.state = callState === undefined || callState === 'DOWN' ? 'ACTIVE' : field(callState);
      row.answered = Math.floor(e.timestamp / 1000);
    }
    if (e.event_name === 'CHANNEL_EXECUTE' && h['Application'] !== undefined) row.application = appText(h['Application'], h['Application-Data']);
    const dest = h['Caller-Destination-Number'];
    if (dest !== undefined && dest !== '') row.destination = field(dest);
    return { upserts: [row], removes };
  }

  /**
   * Replaces one node's channels with FreeSWITCH's own list (`show channels as json` rows).
   * Channels that started after `since` (ms) are kept: their CREATE may be newer than the list.
   * A list that is not `complete` (a delimited listing with lines that are not rows, see
   * show-channels.ts) updates and adds what it has and removes nothing: a channel missing from
   * it may be live, and a removal would also keep its later events out (it counts as ended).
   */
  sync(nodeId: string, rows: readonly Record<string, unknown>[], since: number, complete = true): TableChange {
    const change: TableChange = { upserts: [], removes: [] };
    if (nodeId.length > MAX_NODE_ID_LENGTH) return change; // as its events: no agent has such an id
    const seen = new Set<string>();
    for (const r of rows) {
      const uuid = str(r['uuid']);
      if (uuid === '' || uuid.length > MAX_UUID_LENGTH || this.#ended.has(uuid)) continue;
      seen.add(uuid);
      const existing = this.#rows.get(uuid);
      // A key absent from the row (a delimited row cut short, see show-channels.ts) keeps what was known.
      const text = (key: string, known: string | undefined): string => (key in r ? field(str(r[key])) : known ?? '');
      const row: ChannelView = {
        uuid,
        node_id: nodeId,
        direction: text('direction', existing?.direction),
        caller: 'cid_num' in r || 'cid_name' in r ? field(str(r['cid_num']) || str(r['cid_name'])) : existing?.caller ?? '',
        destination: text('dest', existing?.destination),
        name: text('name', existing?.name),
        state: field(str(r['callstate'])) || existing?.state || 'DOWN',
        application: r['application'] === undefined ? existing?.application ?? '' : appText(str(r['application']), str(r['application_data'])),
        // What events said (Caller-Channel-Created-Time, in µs) is kept: the listing has whole
        // seconds, and a re-read must not reorder the table or make durations jump.
        created: existing?.created ?? (Number(r['created_epoch']) > 0 ? Number(r['created_epoch']) * 1000 : since),
      };
      if (existing?.answered !== undefined) row.answered = existing.answered;
      // A full table keeps its newer channels: an older one from the listing (one dropped when the
      // table filled, say) would only push a newer one out, and count as dropped again.
      if (existing === undefined && this.#rows.size >= this.#max && (this.#dropped.has(uuid) || !this.#newerThanOldest(row))) continue;
      if (existing === undefined) change.removes.push(...this.#insert(row));
      else this.#rows.set(uuid, row);
      change.upserts.push(row);
    }
    for (const row of complete ? [...this.#rows.values()] : []) {
      if (row.node_id !== nodeId || seen.has(row.uuid) || row.created >= since) continue;
      change.removes.push(...this.#remove(row.uuid).removes);
    }
    // A list longer than the table evicts some of its own rows: those are removals only.
    if (change.removes.length > 0) change.upserts = change.upserts.filter((r) => this.#rows.has(r.uuid));
    return change;
  }

  /**
   * Drops every channel of a node the dashboard forgot. They are not remembered as ended: if the
   * node comes back with some of them still up, its channel read or their events bring them back.
   */
  forgetNode(nodeId: string): TableChange {
    const removes: string[] = [];
    for (const row of this.#rows.values()) if (row.node_id === nodeId) removes.push(row.uuid);
    for (const uuid of removes) this.#rows.delete(uuid);
    return { upserts: [], removes };
  }

  /** Whether `row` started after the row a full table would drop for it. */
  #newerThanOldest(row: ChannelView): boolean {
    const oldest = this.#rows.values().next().value;
    return oldest === undefined || row.created > oldest.created;
  }

  /** Adds a row; returns the uuid dropped to make room (the oldest), if any. */
  #insert(row: ChannelView): string[] {
    let dropped: string[] = [];
    if (this.#rows.size >= this.#max) {
      const oldest = this.#rows.keys().next().value;
      if (oldest !== undefined) {
        this.#rows.delete(oldest);
        this.#evicted++;
        dropped = [oldest];
        remember(this.#dropped, oldest);
      }
    }
    this.#dropped.delete(row.uuid);
    this.#rows.set(row.uuid, row);
    return dropped;
  }

  #remove(uuid: string): TableChange {
    remember(this.#ended, uuid);
    this.#dropped.delete(uuid);
    return this.#rows.delete(uuid) ? { upserts: [], removes: [uuid] } : { upserts: [], removes: [] };
  }
}

/** Adds to a bounded memory of uuids, forgetting the oldest past ENDED_MEMORY. */
function remember(set: Set<string>, uuid: string): void {
  set.add(uuid);
  if (set.size <= ENDED_MEMORY) return;
  const first = set.values().next().value;
  if (first !== undefined) set.delete(first);
}

function callerOf(h: Record<string, string>): string {
  const num = h['Caller-Caller-ID-Number'] ?? '';
  const name = h['Caller-Caller-ID-Name'] ?? '';
  return num !== '' ? num : name;
}

/** A row's text as kept: at most MAX_FIELD_CHARS characters (a cut one holds nothing of the long value). */
function field(text: string): string {
  return cutText(text, MAX_FIELD_CHARS);
}

function appText(app: string, data: string | undefined): string {
  if (data === undefined || data === '') return field(app);
  return field(`${cutText(app, MAX_FIELD_CHARS)}(${data.length > 60 ? cutText(data, 58) : data})`);
}

function micros(text: string | undefined): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? Math.floor(n / 1000) : undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}
