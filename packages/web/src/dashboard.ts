/**
 * The dashboard's state, fed by the bus: node cards (agent.status polled by broadcast), live
 * channels and recent events (from the event subjects), rates. Changes are batched and handed to
 * the page streams by `onUpdate`.
 */
import type { EventPayload, ReplyEnvelope } from '@fsbus/contract';
import type { DashboardBus } from './bus-port.js';
import { ChannelTable, type TableChange } from './channel-table.js';
import { EventLog } from './event-log.js';
import { parkFrom } from './park.js';
import { RateSeries } from './rate-series.js';
import type { BusState, ChannelView, EventDetail, NodeView, ParkView, RatePoint, Snapshot, Update } from './protocol.js';

export interface DashboardOptions {
  /** How often nodes are asked for agent.status. @default 2000 */
  pollIntervalMs?: number;
  /** How long a status broadcast collects replies. @default 1000 */
  gatherTimeoutMs?: number;
  /** Events kept for the page. @default 2000 */
  eventHistory?: number;
  /** Events in a page's first snapshot. @default 300 */
  snapshotEvents?: number;
  /** Batching period of updates to the page. @default 100 */
  flushIntervalMs?: number;
  /** How long a control from the page waits for its reply; originate waits at least 65 s (it rings). @default 10000 */
  commandTimeoutMs?: number;
}

/** A node missing from this many polls in a row is shown offline. */
const MISSES_OFFLINE = 2;

export class Dashboard {
  #bus: DashboardBus;
  #started = false;
  readonly #o: Required<DashboardOptions>;
  readonly #channels = new ChannelTable();
  readonly #events: EventLog;
  readonly #rates = new RateSeries(Date.now());
  readonly #nodes = new Map<string, NodeView & { misses: number; synced: boolean; parkAt: number }>();
  readonly #listeners = new Set<(u: Update) => void>();
  #pending: Update = {};
  #timers: NodeJS.Timeout[] = [];
  #pollTimer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #pollAgain = false;
  #closed = false;
  #offs: Array<() => void> = [];

  constructor(bus: DashboardBus, options: DashboardOptions = {}) {
    this.#bus = bus;
    this.#o = {
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      gatherTimeoutMs: options.gatherTimeoutMs ?? 1000,
      eventHistory: options.eventHistory ?? 2000,
      snapshotEvents: options.snapshotEvents ?? 300,
      flushIntervalMs: options.flushIntervalMs ?? 100,
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
    };
    this.#events = new EventLog(this.#o.eventHistory);
  }

  get commandTimeoutMs(): number {
    return this.#o.commandTimeoutMs;
  }

  get bus(): DashboardBus {
    return this.#bus;
  }

  start(): void {
    this.#started = true;
    this.#bind();
    this.#timers.push(setInterval(() => this.flush(), this.#o.flushIntervalMs));
    this.#timers.push(
      setInterval(() => this.#closeRates(this.#rates.roll(Date.now())), 250),
    );
    this.refresh();
  }

  /** Follows a new bus link (startWeb makes a fresh one while the first connect keeps failing). */
  rebind(bus: DashboardBus): void {
    for (const off of this.#offs) off();
    this.#offs = [];
    this.#bus = bus;
    // The page follows the new link's state (the old one is closed without telling anyone).
    this.#pending.bus = { state: bus.state, reconnects: bus.reconnects };
    if (this.#started) this.#bind();
  }

  #bind(): void {
    this.#offs.push(this.#bus.onEvent((e) => this.#onEvent(e)));
    this.#offs.push(
      this.#bus.onState((state) => {
        this.#pending.bus = { state, reconnects: this.#bus.reconnects };
        // Channels may have ended (or started) while the bus was away: re-read them.
        if (state === 'connected') {
          for (const n of this.#nodes.values()) n.synced = false;
          this.refresh();
        }
      }),
    );
  }

  onUpdate(listener: (u: Update) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  snapshot(): Snapshot {
    return {
      bus: this.#bus.state,
      bus_reconnects: this.#bus.reconnects,
      nodes: [...this.#nodes.values()].map(publicNode),
      channels: this.#channels.list(),
      events: this.#events.recent(this.#o.snapshotEvents),
      rates: this.#rates.points(),
      now: Date.now(),
    };
  }

  eventDetail(id: number): EventDetail | undefined {
    return this.#events.get(id);
  }

  timeline(uuid: string): EventDetail[] {
    return this.#events.timeline(uuid);
  }

  channel(uuid: string): ChannelView | undefined {
    return this.#channels.get(uuid);
  }

  /** Polls the nodes now (again right after the running poll, if one is running). */
  refresh(): void {
    if (this.#closed) return;
    if (this.#polling !== undefined) {
      this.#pollAgain = true;
      return;
    }
    clearTimeout(this.#pollTimer);
    this.#polling = this.#poll().finally(() => {
      this.#polling = undefined;
      if (this.#closed) return;
      if (this.#pollAgain) {
        this.#pollAgain = false;
        this.refresh();
      } else {
        this.#pollTimer = setTimeout(() => this.refresh(), this.#o.pollIntervalMs);
      }
    });
  }

  async #poll(): Promise<void> {
    if (this.#bus.state !== 'connected') return;
    const started = Date.now();
    let replies: ReplyEnvelope[];
    try {
      replies = await this.#bus.gather('agent.status', this.#o.gatherTimeoutMs);
    } catch {
      return; // the bus state says why; the next poll tries again
    }
    if (this.#closed) return;
    const now = Date.now();
    const seen = new Set<string>();
    const changed: NodeView[] = [];
    for (const r of replies) {
      if (!r.success || typeof r.data !== 'object' || r.data === null) continue;
      const status = r.data as Record<string, unknown>;
      const id = typeof status['node_id'] === 'string' ? status['node_id'] : r.node_id;
      seen.add(id);
      const prev = this.#nodes.get(id);
      const node = {
        node_id: id,
        presence: 'online' as const,
        last_seen: now,
        status,
        // A park command answered after this poll began knows better than this poll's status.
        park: prev !== undefined && prev.parkAt >= started ? prev.park : parkOf(status['park'], prev?.park),
        misses: 0,
        // FreeSWITCH restarted (its agent's Event Socket link came back): its channels are re-read,
        // as the calls it had ended without events.
        synced: prev?.presence === 'online' && !eslCameBack(prev.status, status) ? prev.synced : false,
        parkAt: prev?.parkAt ?? 0,
      };
      this.#nodes.set(id, node);
      changed.push(publicNode(node));
    }
    for (const n of this.#nodes.values()) {
      if (seen.has(n.node_id)) continue;
      n.misses++;
      if (n.misses >= MISSES_OFFLINE && n.presence === 'online') {
        n.presence = 'offline';
        n.synced = false;
        changed.push(publicNode(n));
      }
    }
    if (changed.length > 0) this.#pending.nodes = [...(this.#pending.nodes ?? []), ...changed];
    await Promise.all([...this.#nodes.values()].filter((n) => n.presence === 'online' && !n.synced).map((n) => this.#sync(n)));
  }

  /** Reads a node's channels from FreeSWITCH itself (what events could not tell while away). */
  async #sync(node: { node_id: string; synced: boolean }): Promise<void> {
    const since = Date.now();
    try {
      const reply = await this.#bus.request({ command: 'show', args: 'channels as json' }, node.node_id, 5000);
      if (!reply.success || typeof reply.data !== 'string') return;
      const parsed = JSON.parse(reply.data) as { rows?: Record<string, unknown>[] };
      this.#merge(this.#channels.sync(node.node_id, parsed.rows ?? [], since));
      node.synced = true;
    } catch {
      // next poll tries again
    }
  }

  /** After a park command: the node's park state as its agent reports it now. */
  async refreshPark(nodeId: string): Promise<void> {
    const node = this.#nodes.get(nodeId);
    try {
      const reply = await this.#bus.request({ command: 'dialplan.status' }, nodeId, 5000);
      if (node === undefined) return;
      node.parkAt = Date.now();
      if (reply.success) node.park = parkFrom(reply.data, node.park);
      else node.park = { available: false, error: `${reply.message}${reply.code === undefined ? '' : ` (${reply.code})`}` };
      this.#pending.nodes = [...(this.#pending.nodes ?? []), publicNode(node)];
    } catch {
      // the command's own reply already told the page
    }
  }

  #onEvent(e: EventPayload): void {
    const now = Date.now();
    this.#closeRates(this.#rates.roll(now));
    this.#rates.count(e, now);
    const view = this.#events.add(e);
    (this.#pending.events ??= []).push(view);
    const change = this.#channels.apply(e);
    if (change !== undefined) this.#merge(change);
  }

  #closeRates(closed: RatePoint[]): void {
    if (closed.length > 0) (this.#pending.rates ??= []).push(...closed);
  }

  #merge(change: TableChange): void {
    if (change.upserts.length === 0 && change.removes.length === 0) return;
    const ups = new Map((this.#pending.upserts ?? []).map((c) => [c.uuid, c]));
    const removes = new Set(this.#pending.removes ?? []);
    for (const c of change.upserts) {
      removes.delete(c.uuid);
      ups.set(c.uuid, { ...c });
    }
    for (const u of change.removes) {
      ups.delete(u);
      removes.add(u);
    }
    this.#pending.upserts = [...ups.values()];
    this.#pending.removes = [...removes];
  }

  /**
   * Hands the batched changes to the listeners now. The stream does this before a new page's
   * snapshot, so what the snapshot holds never reaches that page again in an update.
   */
  flush(): void {
    const u = this.#pending;
    if (Object.keys(u).length === 0) return;
    this.#pending = {};
    if (u.upserts?.length === 0) delete u.upserts;
    if (u.removes?.length === 0) delete u.removes;
    for (const l of this.#listeners) l(u);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    clearTimeout(this.#pollTimer);
    for (const off of this.#offs) off();
    this.#offs = [];
    this.#listeners.clear();
    await this.#polling;
  }
}

/** agent.status `park` when it tells on/off; else what the last dialplan.status said. */
function parkOf(fromStatus: unknown, previous: ParkView | undefined): ParkView {
  const park = parkFrom(fromStatus);
  if (park.available || previous === undefined) return park;
  return previous;
}

/** The node's Event Socket link reconnected, or is ready again, since the previous status. */
function eslCameBack(before: Record<string, unknown>, now: Record<string, unknown>): boolean {
  const a = eslOf(before);
  const b = eslOf(now);
  return a.reconnects !== b.reconnects || (a.status !== 'ready' && b.status === 'ready');
}

function eslOf(status: Record<string, unknown>): { status: unknown; reconnects: unknown } {
  const esl = status['esl'];
  if (typeof esl !== 'object' || esl === null) return { status: undefined, reconnects: undefined };
  const e = esl as Record<string, unknown>;
  return { status: e['status'], reconnects: e['reconnects'] };
}

function publicNode(n: NodeView): NodeView {
  return { node_id: n.node_id, presence: n.presence, last_seen: n.last_seen, status: n.status, park: n.park };
}

export type { BusState };
