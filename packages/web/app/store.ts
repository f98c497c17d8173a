/** The page's copy of the dashboard state: a snapshot, then updates, from the server stream. */
import type { BusState, ChannelView, EventView, NodeView, OriginateView, RatePoint, Snapshot, TableView, Update } from '../src/protocol.js';

/** Events kept on the page (the server keeps more, with headers). */
const MAX_EVENTS = 1000;
/** Seconds of rates drawn. */
export const RATE_WINDOW = 300;

export class Store {
  bus: BusState = 'connecting';
  busReconnects = 0;
  /** No status poll of the server has ended yet: nodes and channels are not known, not none. */
  firstPollPending = true;
  readonly nodes = new Map<string, NodeView>();
  readonly channels = new Map<string, ChannelView>();
  /** The server's channel table: its bound, and the live channels it dropped when full. */
  table: TableView = { max: Number.POSITIVE_INFINITY, evicted: 0 };
  events: EventView[] = [];
  rates: RatePoint[] = [];
  /** The dashboard's originates: ringing, and the last ended ones (the server bounds both). */
  readonly originates = new Map<string, OriginateView>();
  /** Server clock minus page clock, so durations follow the server. */
  skew = 0;
  /** Snapshots loaded so far (1 after the first connection; +1 on every reconnection). */
  generation = 0;

  load(s: Snapshot): void {
    this.generation++;
    this.bus = s.bus;
    this.busReconnects = s.bus_reconnects;
    // A server older than the field has polled (it says nothing).
    this.firstPollPending = s.first_poll_pending ?? false;
    this.nodes.clear();
    for (const n of s.nodes) this.nodes.set(n.node_id, n);
    this.channels.clear();
    for (const c of s.channels) this.channels.set(c.uuid, c);
    this.table = s.table;
    this.events = s.events.slice(-MAX_EVENTS);
    this.rates = s.rates.slice(-RATE_WINDOW);
    this.originates.clear();
    for (const o of s.originates) this.originates.set(o.uuid, o);
    this.skew = s.now - Date.now();
  }

  apply(u: Update): void {
    if (u.bus !== undefined) {
      this.bus = u.bus.state;
      this.busReconnects = u.bus.reconnects;
    }
    if (u.first_poll_pending === false) this.firstPollPending = false;
    for (const id of u.nodes_removed ?? []) this.nodes.delete(id);
    for (const n of u.nodes ?? []) this.nodes.set(n.node_id, n);
    for (const c of u.upserts ?? []) this.channels.set(c.uuid, c);
    for (const r of u.removes ?? []) this.channels.delete(r);
    if (u.table !== undefined) this.table = u.table;
    for (const o of u.originates ?? []) this.originates.set(o.uuid, o);
    for (const id of u.originates_removed ?? []) this.originates.delete(id);
    if (u.events !== undefined) {
      this.events.push(...u.events);
      if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    }
    if (u.rates !== undefined) {
      for (const p of u.rates) this.#putRate(p);
      if (this.rates.length > RATE_WINDOW) this.rates.splice(0, this.rates.length - RATE_WINDOW);
    }
  }

  /** A second already drawn is replaced: late events (a broker stall's backlog) were counted into it. */
  #putRate(p: RatePoint): void {
    const last = this.rates.at(-1);
    if (last === undefined || p.t > last.t) {
      this.rates.push(p);
      return;
    }
    for (let i = this.rates.length - 1; i >= 0; i--) {
      const q = this.rates[i];
      if (q === undefined || q.t < p.t) return;
      if (q.t === p.t) {
        this.rates[i] = p;
        return;
      }
    }
  }

  now(): number {
    return Date.now() + this.skew;
  }
}
