/**
 * The dashboard's state, fed by the bus: node cards (agent.status polled by broadcast), live
 * channels and recent events (from the event subjects), rates. Changes are batched and handed to
 * the page streams by `onUpdate`.
 */
import { AGENT_STOP_SUBCLASS, INSTANCE_ID_HEADER, MAX_NODE_ID_LENGTH, type EventPayload, terminalLine } from '@fsbus/contract';
import type { DashboardBus, UnreadableReply } from './bus-port.js';
import { ChannelTable, DEFAULT_MAX_CHANNELS, type TableChange } from './channel-table.js';
import { DEFAULT_EVENT_HISTORY_BYTES, EventLog } from './event-log.js';
import { CallTimelines, DEFAULT_TIMELINE_BYTES, DEFAULT_TIMELINE_EVENTS, type CallTimeline } from './call-timelines.js';
import { ChannelSync } from './channel-sync.js';
import {
  DEFAULT_MAX_NODES,
  DEFAULT_OFFLINE_NODE_RETENTION_MS,
  eslCameBack,
  eslDownSince,
  eslReady,
  lastEventAt,
  longestUnseen,
  markOffline,
  markSameFreeswitch,
  parkOf,
  publicNode,
  retentionOver,
  type NodeState,
} from './node-state.js';
import { boundedPark, MAX_STATUS_TEXT_CHARS, readNodeStatus, readRefusal, type NodeStatusRead } from './node-status.js';
import type { ParsedCommand } from './commands.js';
import { DEFAULT_MAX_PENDING_ORIGINATES, Originates } from './originates.js';
import { parkFrom } from './park.js';
import { RateSeries } from './rate-series.js';
import type { BusState, ChannelView, CommandResult, DegradedView, EventDetail, OriginateView, RatePoint, Snapshot, Update } from './protocol.js';
import { cutText, MAX_FIELD_CHARS } from './text-caps.js';

export interface DashboardOptions {
  /** How often nodes are asked for agent.status. @default 2000 */
  pollIntervalMs?: number;
  /** How long a status broadcast collects replies. @default 1000 */
  gatherTimeoutMs?: number;
  /** Events kept for the page. @default 2000 */
  eventHistory?: number;
  /**
   * Bytes the kept events take in the heap (event-log.ts's sizeOf: headers, body, summary and name
   * at 1 or 2 bytes a character, plus V8's overhead per header and event); the oldest go first. @default 64 MiB
   */
  eventHistoryBytes?: number;
  /**
   * Events kept per call for its timeline (every channel of the table has its own, whatever the
   * event volume; an ended call's stays while the table remembers it ended: the last 2,000). @default 200
   */
  timelineEvents?: number;
  /** Bytes all call timelines take (counted as `eventHistoryBytes`); past it ended calls' go first, then the oldest live call's. @default 128 MiB */
  timelineBytes?: number;
  /** Events in a page's first snapshot. @default 300 */
  snapshotEvents?: number;
  /** Batching period of updates to the page. @default 100 */
  flushIntervalMs?: number;
  /** How long a control from the page waits for its reply; originate waits at least 65 s (it rings). @default 10000 */
  commandTimeoutMs?: number;
  /** Originates ringing at once (all pages together); past it the control is refused until one ends. @default 20 */
  maxPendingOriginates?: number;
  /** First wait before a failed channel read of a node is tried again; doubles up to 5 min. @default 5000 */
  syncRetryMs?: number;
  /** Live channels kept (all nodes); past it the oldest is dropped from the table and the pages. @default 5000 */
  maxChannels?: number;
  /** How long a node that stopped answering stays on the page offline before it is removed. @default 600000 (10 min) */
  offlineNodeRetentionMs?: number;
  /**
   * A node that answers, its FreeSWITCH ready, but with no FreeSWITCH event for longer than this
   * (its agent's `events_received` unchanged, none on the bus) is said stalled on its card and its
   * calls shown stale (`events_stalled_since`); 0 turns the watch off. FreeSWITCH sends a HEARTBEAT
   * every 20 s (event-heartbeat-interval), so a quiet FreeSWITCH is not stalled — provided the
   * agents get HEARTBEAT (events.include ALL, their default, or naming it). @default 50000 (2.5 heartbeats)
   */
  eventStallMs?: number;
  /** Nodes kept; past it the longest-unseen one makes room for a new one, or the new one is left out. @default 1000 */
  maxNodes?: number;
  /** Where the dashboard's warnings go (once per burst). @default process.emitWarning (stderr) */
  warn?: (message: string) => void;
  /** The clock of the node cards (last_seen, offline time, retention), in ms; tests inject one. @default Date.now */
  clock?: () => number;
}

/** FreeSWITCH's default event-heartbeat-interval is 20 s: 2.5 of them without an event is a stall. */
export const DEFAULT_EVENT_STALL_MS = 50_000;
/** Core-UUIDs are 36 characters; a longer header is cut as other texts are. */
const MAX_CORE_UUID_CHARS = 128;
/** A node missing from this many polls in a row is shown offline. */
const MISSES_OFFLINE = 2;
/** Unreadable answers a warning names (a thousand rogue answers make no 128 KB line). */
const UNREADABLE_NAMED = 5;
/** Kept events a new call timeline looks back through for the call's first events (CODEC comes before CHANNEL_CREATE). */
const TIMELINE_SEED_WINDOW = 64;
/** Instances kept per node (answering, or gone): two is already a misconfiguration; a rogue answerer must not grow them. */
const MAX_INSTANCES = 16;

export class Dashboard {
  #bus: DashboardBus;
  #started = false;
  readonly #o: Required<DashboardOptions>;
  readonly #channels: ChannelTable;
  readonly #sync: ChannelSync;
  /** Evictions already reported; a full table warns once until it has room again. */
  #evictedSeen = 0;
  #evictionWarned = false;
  readonly #events: EventLog;
  readonly #timelines: CallTimelines;
  readonly #rates = new RateSeries(Date.now());
  readonly #nodes = new Map<string, NodeState>();
  readonly #originates: Originates;
  /** A full node map warns once until it has room again. */
  #nodeCapWarned = false;
  /** Unreadable agent.status answers warn once until a poll has none. */
  #badRepliesWarned = false;
  readonly #listeners = new Set<(u: Update) => void>();
  #pending: Update = {};
  #timers: NodeJS.Timeout[] = [];
  #pollTimer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #pollAgain = false;
  /**
   * Orders a poll's start against the goodbyes and park replies read meanwhile: Date.now() ties
   * within a millisecond, and a poll begun in the goodbye's turn was taken for an older one.
   */
  #moment = 0;
  #closed = false;
  /** A poll has ended (gathered with the bus up, channels read): until then the page says so, not "0 nodes". */
  #firstPollDone = false;
  #offs: Array<() => void> = [];

  constructor(bus: DashboardBus, options: DashboardOptions = {}) {
    this.#bus = bus;
    this.#o = {
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      gatherTimeoutMs: options.gatherTimeoutMs ?? 1000,
      eventHistory: options.eventHistory ?? 2000,
      eventHistoryBytes: options.eventHistoryBytes ?? DEFAULT_EVENT_HISTORY_BYTES,
      timelineEvents: options.timelineEvents ?? DEFAULT_TIMELINE_EVENTS,
      timelineBytes: options.timelineBytes ?? DEFAULT_TIMELINE_BYTES,
      snapshotEvents: options.snapshotEvents ?? 300,
      flushIntervalMs: options.flushIntervalMs ?? 100,
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      maxPendingOriginates: options.maxPendingOriginates ?? DEFAULT_MAX_PENDING_ORIGINATES,
      syncRetryMs: options.syncRetryMs ?? 5000,
      maxChannels: options.maxChannels ?? DEFAULT_MAX_CHANNELS,
      offlineNodeRetentionMs: options.offlineNodeRetentionMs ?? DEFAULT_OFFLINE_NODE_RETENTION_MS,
      maxNodes: Math.max(1, options.maxNodes ?? DEFAULT_MAX_NODES),
      eventStallMs: options.eventStallMs ?? DEFAULT_EVENT_STALL_MS,
      warn: options.warn ?? ((m) => process.emitWarning(m, 'FsbusDashboardWarning')),
      clock: options.clock ?? Date.now,
    };
    this.#events = new EventLog(this.#o.eventHistory, this.#o.eventHistoryBytes);
    this.#timelines = new CallTimelines(this.#o.timelineEvents, this.#o.timelineBytes);
    this.#channels = new ChannelTable(this.#o.maxChannels);
    this.#sync = new ChannelSync(
      {
        bus: () => this.#bus,
        closed: () => this.#closed,
        apply: (node, listing, since) => this.#merge(this.#channels.sync(node.node_id, listing.rows, since, listing.complete)),
        nodeChanged: (node) => this.#nodeChanged(node),
        warn: (message) => this.#o.warn(message),
      },
      this.#o.syncRetryMs,
    );
    this.#originates = new Originates(this.#o.maxPendingOriginates, {
      bus: () => this.#bus,
      timeoutMs: this.#o.commandTimeoutMs,
      changed: (view) => this.#originateChanged(view),
      removed: (uuid) => this.#originateRemoved(uuid),
      ended: () => this.refresh(),
    });
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
          for (const n of this.#nodes.values()) {
            n.synced = false;
            n.syncRetryAt = 0; // a new reason to read: no backoff from earlier failures
          }
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
      first_poll_pending: !this.#firstPollDone,
      nodes: [...this.#nodes.values()].map(publicNode),
      channels: this.#channels.list(),
      table: this.#channels.view(),
      events: this.#events.recent(this.#o.snapshotEvents),
      rates: this.#rates.points(),
      originates: this.#originates.list(),
      now: Date.now(),
    };
  }

  eventDetail(id: number): EventDetail | undefined {
    return this.#events.get(id);
  }

  /**
   * A call's events: its own timeline while the dashboard tracks it (a channel of the table, or one
   * that ended recently), else what the event ring still holds of it.
   */
  timeline(uuid: string): CallTimeline {
    return this.#timelines.get(uuid) ?? { events: this.#events.timeline(uuid), dropped: 0 };
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
    // Polls start every pollIntervalMs (the next one waits for this one to end, never overlaps it).
    const startedAt = Date.now();
    // A poll that throws (a reply no FreeSWITCH would send) is said; it must not end the server.
    // Its error may quote the answer: escaped for the terminal.
    this.#polling = this.#poll().catch((err: unknown) => this.#o.warn(terminalLine(`dashboard: reading the nodes failed: ${err instanceof Error ? err.message : String(err)}`))).finally(() => {
      this.#polling = undefined;
      if (this.#closed) return;
      if (this.#pollAgain) {
        this.#pollAgain = false;
        this.refresh();
      } else {
        this.#pollTimer = setTimeout(() => this.refresh(), Math.max(0, startedAt + this.#o.pollIntervalMs - Date.now()));
      }
    });
  }

  async #poll(): Promise<void> {
    if (this.#bus.state !== 'connected') return;
    const started = ++this.#moment;
    let replies: Awaited<ReturnType<DashboardBus['gather']>>;
    try {
      replies = await this.#bus.gather('agent.status', this.#o.gatherTimeoutMs);
    } catch {
      return; // the bus state says why; the next poll tries again
    }
    if (this.#closed) return;
    const now = Date.now();
    const seenAt = this.#o.clock();
    const seen = new Set<string>();
    const changed: NodeState[] = [];
    const unreadable: UnreadableReply[] = [...(replies.badReplies ?? [])];
    const answers: Array<NodeStatusRead | { id: string; degraded: DegradedView }> = [];
    /** The instances each node's answers of this poll named (two agents under one id both answer). */
    const heard = new Map<string, string[]>();
    for (const r of replies) {
      // An error envelope (busy: max_in_flight reached; shutting down) comes from a node alive:
      // shown degraded, not offline.
      // Only what the card shows is kept (node-status.ts): an answer may be 1 MiB of anything.
      const read = r.success ? readNodeStatus(r.data, r.node_id) : readRefusal(r);
      if (read instanceof Error) unreadable.push({ nodeId: r.node_id, error: read });
      else {
        seen.add(read.id);
        answers.push(read);
      }
    }
    this.#warnUnreadable(unreadable);
    // Known nodes first: a full map makes room for a new node only with one that did not answer.
    answers.sort((a, b) => Number(this.#nodes.has(b.id)) - Number(this.#nodes.has(a.id)));
    for (const answer of answers) {
      const { id } = answer;
      const prev = this.#nodes.get(id);
      const instance = 'status' in answer ? answer.instanceId : undefined;
      // Answered before its goodbye came: older news than the goodbye (the next poll tells). A
      // goodbye naming its instance makes only that instance's answers stale: another agent under
      // the same node id, answering, still serves it. An answer naming no instance (a refusal —
      // busy, shutting down — or an older agent's status) may be the leaving one's: stale too.
      if (prev?.leftAt !== undefined && prev.leftAt > started) continue;
      if (prev?.leftInstances?.some((l) => (instance === undefined || l.id === instance) && l.at > started) === true) continue;
      const instances = heard.get(id) ?? [];
      if (instance !== undefined && !instances.includes(instance) && instances.length < MAX_INSTANCES) instances.push(instance);
      heard.set(id, instances);
      // Goodbyes older than this poll's start are no news for it nor any later one.
      const leftInstances = prev?.leftInstances?.filter((l) => l.at > started);
      if (prev === undefined && !this.#roomFor(id, seen)) continue;
      // Degraded, it told no status: the card keeps the last one it gave.
      const degraded = 'degraded' in answer ? answer.degraded : undefined;
      const status = 'status' in answer ? answer.status : (prev?.status ?? {});
      // FreeSWITCH restarted (its agent's Event Socket link came back): its channels are re-read,
      // as the calls it had ended without events.
      const keep = prev !== undefined && prev.presence !== 'offline' && !eslCameBack(prev.status, status);
      // FreeSWITCH down under a live agent: its calls may end unseen (the page greys them from then).
      const eslDown = eslDownSince(prev, status, seenAt);
      // The stall watch: from the last FreeSWITCH event known (a busy node tells no count: its own stays).
      const told = 'status' in answer ? answer : undefined;
      const received = told === undefined ? prev?.eventsReceived : told.eventsReceived;
      const relink = prev !== undefined && eslCameBack(prev.status, status);
      const eventAt = lastEventAt(prev, !keep || !eslReady(status), told?.eventsReceived, seenAt);
      const stalled = this.#stalledSince(degraded === undefined && told?.noEvents !== true && eslReady(status), eventAt, seenAt);
      const node: NodeState = {
        node_id: id,
        presence: degraded === undefined ? 'online' : 'degraded',
        last_seen: seenAt,
        status,
        // A park command answered after this poll began knows better than this poll's status.
        park: prev !== undefined && (prev.parkAt > started || degraded !== undefined) ? prev.park : parkOf('park' in answer ? answer.park : undefined, prev?.park),
        ...(degraded === undefined ? {} : { degraded }),
        ...(eslDown === undefined ? {} : { esl_down_since: eslDown }),
        misses: 0,
        ...(instances.length === 0 ? {} : { instances }),
        ...(leftInstances === undefined || leftInstances.length === 0 ? {} : { leftInstances }),
        synced: keep ? prev.synced : false,
        parkAt: prev?.parkAt ?? 0,
        syncFailures: prev?.syncFailures ?? 0,
        // A new reason to read (the node came back, or its FreeSWITCH did) skips the backoff.
        syncRetryAt: keep ? prev.syncRetryAt : 0,
        compact: prev?.compact ?? false,
        ...(prev?.compactRows === undefined ? {} : { compactRows: prev.compactRows }),
        ...(prev?.sync_error === undefined ? {} : { sync_error: prev.sync_error }),
        // Another FreeSWITCH may be behind a link that came back: its events tell its Core-UUID again.
        ...(prev?.coreUuid === undefined || relink ? {} : { coreUuid: prev.coreUuid }),
        ...(prev?.same_freeswitch === undefined ? {} : { same_freeswitch: prev.same_freeswitch }),
        ...(received === undefined ? {} : { eventsReceived: received }),
        lastEventAt: eventAt,
        ...(stalled === undefined ? {} : { events_stalled_since: stalled }),
      };
      // Events again after a stall: calls may have ended while none came (their events lost): read again.
      if (prev?.events_stalled_since !== undefined && stalled === undefined) {
        node.synced = false;
        node.syncRetryAt = 0;
      }
      this.#nodes.set(id, node);
      changed.push(node);
    }
    for (const n of [...this.#nodes.values()]) {
      if (seen.has(n.node_id)) continue;
      n.misses++;
      if (n.misses >= MISSES_OFFLINE && n.presence !== 'offline') {
        this.#wentOffline(n, seenAt);
        changed.push(n);
      } else if (retentionOver(n, seenAt, this.#o.offlineNodeRetentionMs)) {
        this.#forget(n.node_id);
      }
    }
    if (this.#nodes.size < this.#o.maxNodes) this.#nodeCapWarned = false;
    for (const n of markSameFreeswitch(this.#nodes.values())) if (!changed.includes(n)) changed.push(n);
    for (const n of changed) this.#nodeChanged(n);
    const due = [...this.#nodes.values()].filter((n) => n.presence === 'online' && !n.synced && n.syncRetryAt <= now);
    await Promise.all(due.map((n) => this.#sync.sync(n)));
    if (!this.#firstPollDone) {
      this.#firstPollDone = true;
      this.#pending.first_poll_pending = false;
    }
  }

  /** When events stalled (the last one known), for a node that should have them; none while they come. */
  #stalledSince(watched: boolean, eventAt: number, now: number): number | undefined {
    const bound = this.#o.eventStallMs;
    return watched && bound > 0 && now - eventAt > bound ? eventAt : undefined;
  }

  /**
   * Offline from `now`. The calls listed under it may be served by another agent of the same
   * FreeSWITCH (two agents on one Event Socket): those nodes are read again, and their read
   * claims the calls they list (as their events do meanwhile).
   */
  #wentOffline(n: NodeState, now: number): void {
    markOffline(n, now);
    if (n.coreUuid === undefined) return;
    for (const other of this.#nodes.values()) {
      if (other === n || other.presence === 'offline' || other.coreUuid !== n.coreUuid) continue;
      other.synced = false;
      other.syncRetryAt = 0;
    }
  }

  /** A node whose answer cannot be read is shown as one that did not answer: said, not silent. */
  #warnUnreadable(bad: readonly UnreadableReply[]): void {
    if (bad.length === 0) {
      this.#badRepliesWarned = false;
      return;
    }
    if (this.#badRepliesWarned) return;
    this.#badRepliesWarned = true;
    const named = bad.slice(0, UNREADABLE_NAMED).map((b) => (b.nodeId === undefined ? '(no node_id)' : cutText(b.nodeId, MAX_NODE_ID_LENGTH)));
    const who = `${named.join(', ')}${bad.length > UNREADABLE_NAMED ? ', …' : ''}`;
    // Node ids and the error (it may quote the answer) come from the bus: cut, and escaped for the terminal.
    this.#o.warn(terminalLine(`dashboard: ${bad.length} answer(s) to agent.status could not be read (${who}): ${cutText(bad[0]!.error.message, MAX_FIELD_CHARS)}; such a node shows as not answering`));
  }

  /**
   * Whether a new node fits: a full map drops its longest-unseen node for it (an agent stopped
   * for good, or renamed: generated ids over weeks of restarts), else the new one is left out.
   */
  #roomFor(id: string, seen: ReadonlySet<string>): boolean {
    if (this.#nodes.size < this.#o.maxNodes) return true;
    if (!this.#nodeCapWarned) {
      this.#nodeCapWarned = true;
      // The node id comes from the bus: escaped for the terminal.
      this.#o.warn(terminalLine(`dashboard: more than ${this.#o.maxNodes} nodes answer agent.status (${id} is new): the longest unseen is removed to make room; while all the kept ones answer, new ones are not shown`));
    }
    const victim = longestUnseen(this.#nodes.values(), seen);
    if (victim === undefined) return false;
    this.#forget(victim.node_id);
    return true;
  }

  /** The node's card and channels leave the dashboard and every open page. */
  #forget(id: string): void {
    this.#nodes.delete(id);
    if (this.#pending.nodes !== undefined) this.#pending.nodes = this.#pending.nodes.filter((n) => n.node_id !== id);
    (this.#pending.nodes_removed ??= []).push(id);
    this.#merge(this.#channels.forgetNode(id));
  }

  /** The node's card changed: the pages get it with the next flush. */
  #nodeChanged(node: NodeState): void {
    // A late change (a park reply) of a node forgotten meanwhile must not bring its card back.
    if (this.#nodes.get(node.node_id) !== node) return;
    (this.#pending.nodes ??= []).push(publicNode(node));
    const removed = this.#pending.nodes_removed;
    if (removed?.includes(node.node_id) === true) this.#pending.nodes_removed = removed.filter((id) => id !== node.node_id);
  }

  /** Sends an originate in the background: answers at once with its view (`ringing`), or why not (the cap). */
  originate(cmd: ParsedCommand): CommandResult {
    return this.#originates.start(cmd);
  }

  #originateChanged(view: OriginateView): void {
    const pending = (this.#pending.originates ??= []);
    const at = pending.findIndex((o) => o.uuid === view.uuid);
    if (at === -1) pending.push(view);
    else pending[at] = view;
  }

  #originateRemoved(uuid: string): void {
    const pending = this.#pending.originates;
    if (pending !== undefined) this.#pending.originates = pending.filter((o) => o.uuid !== uuid);
    (this.#pending.originates_removed ??= []).push(uuid);
  }

  /** After a park command: the node's park state as its agent reports it now. */
  async refreshPark(nodeId: string): Promise<void> {
    try {
      const reply = await this.#bus.request({ command: 'dialplan.status' }, nodeId, 5000);
      // Read after the reply: a poll meanwhile replaced the node's state, or it was forgotten.
      const node = this.#nodes.get(nodeId);
      if (node === undefined) return;
      node.parkAt = ++this.#moment;
      // The node's text is cut as its agent.status is (node-status.ts).
      if (reply.success) node.park = boundedPark(parkFrom(reply.data, node.park));
      else node.park = { available: false, error: cutText(`${reply.message}${reply.code === undefined ? '' : ` (${reply.code})`}`, MAX_FIELD_CHARS) };
      this.#nodeChanged(node);
    } catch {
      // the command's own reply already told the page
    }
  }

  #onEvent(e: EventPayload): void {
    const now = Date.now();
    this.#closeRates(this.#rates.roll(now));
    this.#rates.count(e, now);
    const { view, detail, size } = this.#events.record(e);
    (this.#pending.events ??= []).push(view);
    // A call listed under an offline node is claimed by the answering node its event comes from.
    const change = this.#channels.apply(e, (owner) => this.#nodes.get(owner)?.presence === 'offline');
    if (change !== undefined) this.#merge(change);
    this.#freeswitchEvent(e);
    this.#timelines.add(detail, size);
    // A channel of the table gets its own timeline, started with what the ring holds of it (this event included).
    const uuid = view.uuid;
    if (uuid !== undefined && this.#channels.get(uuid) !== undefined) this.#timelines.track(uuid, () => this.#events.recentOf(uuid, TIMELINE_SEED_WINDOW));
    if (e.event_name === 'CUSTOM' && e.headers['Event-Subclass'] === AGENT_STOP_SUBCLASS) this.#nodeLeft(e.node_id, e.headers[INSTANCE_ID_HEADER]);
  }

  /**
   * A FreeSWITCH event (not one of the agent's own, fsbus::*) from a known node: the stall watch
   * restarts (a stall said ends, its channels are read again), and its Core-UUID is noted.
   */
  #freeswitchEvent(e: EventPayload): void {
    const node = this.#nodes.get(e.node_id);
    if (node === undefined || (e.event_name === 'CUSTOM' && e.headers['Event-Subclass']?.startsWith('fsbus::') === true)) return;
    node.lastEventAt = this.#o.clock();
    const core = e.headers['Core-UUID'];
    if (core !== undefined && core !== '') node.coreUuid = cutText(core, MAX_CORE_UUID_CHARS);
    if (node.events_stalled_since === undefined) return;
    delete node.events_stalled_since;
    node.synced = false;
    node.syncRetryAt = 0;
    this.#nodeChanged(node);
  }

  /**
   * Its agent stopped cleanly and said so: offline at once, as after missed polls, not two polls
   * later. A goodbye naming its instance (`header`, FSBus-Instance-ID) does so only when no other
   * instance answered for the node in its last poll: two agents under one node id (their
   * node_id_conflict) must not have one's goodbye hide the node the other still serves.
   */
  #nodeLeft(id: string, header: string | undefined): void {
    const node = this.#nodes.get(id);
    if (node === undefined) return;
    const at = ++this.#moment;
    // Cut as the answers' instance_id is (node-status.ts), so that the two compare.
    const instance = header === undefined || header === '' ? undefined : cutText(header, MAX_STATUS_TEXT_CHARS);
    if (instance === undefined) node.leftAt = at; // an older agent: all answers gathered before are stale
    else {
      node.leftInstances = [...(node.leftInstances ?? []).filter((l) => l.id !== instance), { id: instance, at }].slice(-MAX_INSTANCES);
      const serving = (node.instances ?? []).filter((i) => i !== instance);
      if (serving.length > 0) {
        node.instances = serving;
        return;
      }
      delete node.instances;
    }
    if (node.presence === 'offline') return;
    this.#wentOffline(node, this.#o.clock());
    this.#nodeChanged(node);
  }

  /** Warns once when the full table starts dropping its oldest channels, again only after it had room. */
  #checkEvictions(): void {
    const evicted = this.#channels.evicted;
    if (evicted > this.#evictedSeen) this.#pending.table = this.#channels.view();
    if (evicted > this.#evictedSeen && !this.#evictionWarned) {
      this.#evictionWarned = true;
      this.#o.warn(`dashboard: more than ${this.#channels.max} live channels: the oldest are dropped from the table (${evicted} so far)`);
    }
    this.#evictedSeen = evicted;
    if (this.#channels.size < this.#channels.max) this.#evictionWarned = false;
  }

  #closeRates(closed: RatePoint[]): void {
    if (closed.length > 0) (this.#pending.rates ??= []).push(...closed);
  }

  #merge(change: TableChange): void {
    if (change.upserts.length === 0 && change.removes.length === 0) return;
    this.#checkEvictions();
    // Hung up, dropped from the full table, re-read away or its node forgotten: its timeline ages out.
    for (const u of change.removes) this.#timelines.ended(u);
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
    if (u.nodes?.length === 0) delete u.nodes;
    if (u.nodes_removed?.length === 0) delete u.nodes_removed;
    if (u.originates?.length === 0) delete u.originates;
    for (const l of this.#listeners) l(u);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#originates.close();
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    clearTimeout(this.#pollTimer);
    for (const off of this.#offs) off();
    this.#offs = [];
    this.#listeners.clear();
    await this.#polling;
  }
}

export type { BusState };
