/**
 * What the dashboard keeps per node besides what the page sees (missed polls, channel-read
 * state), the pure helpers that read its kept status (node-status.ts), and when a node is forgotten.
 */
import type { ReplyEnvelope } from '@fsbus/contract';
import { MAX_STATUS_TEXT_CHARS } from './node-status.js';
import { parkFrom } from './park.js';
import type { NodeView, ParkView } from './protocol.js';
import { cutText, MAX_FIELD_CHARS } from './text-caps.js';

/** A node as the dashboard tracks it; the page gets publicNode() of it. */
export interface NodeState extends NodeView {
  misses: number;
  /**
   * When its agent said goodbye without naming its instance (an older agent; the dashboard's
   * moment, as a poll's start): all its answers gathered before it are stale.
   */
  leftAt?: number;
  /**
   * The agent instances (agent.status `instance_id`) that answered for it in the last poll it
   * answered, less those that said goodbye since: while one is left, another's goodbye (two
   * agents under one node id) does not take it offline.
   */
  instances?: string[];
  /**
   * Instances that said goodbye (`FSBus-Instance-ID`), with the dashboard's moment of it: their
   * answers gathered before it are stale, other instances' are not. Kept only while a poll begun
   * before it may still be applied.
   */
  leftInstances?: Array<{ id: string; at: number }>;
  synced: boolean;
  /** When a park reply was read (the dashboard's moment): a poll begun before it knows less. */
  parkAt: number;
  /** Failed channel reads in a row; the next is not tried before `syncRetryAt` (ms). */
  syncFailures: number;
  syncRetryAt: number;
  /** `show channels as json` was too large for the broker: this node is read as CSV. */
  compact: boolean;
  /** Channels in the first listing read after the switch to it (JSON is tried again at half). */
  compactRows?: number;
  /** The Core-UUID of its last FreeSWITCH event: nodes with the same one are agents of one FreeSWITCH. */
  coreUuid?: string;
  /** Its agent's `counters.events_received` in its last status (a change is a FreeSWITCH event). */
  eventsReceived?: number;
  /** The dashboard's clock (`clock`) at its last FreeSWITCH event known, or since when it is watched (the stall watch's start). */
  lastEventAt?: number;
}

/** Nodes kept by default; past it the longest-unseen node makes room for one that answers. */
export const DEFAULT_MAX_NODES = 1000;
/** How long a node stays on the page offline before it is forgotten. @default 10 min */
export const DEFAULT_OFFLINE_NODE_RETENTION_MS = 600_000;

/** Shown offline from `now` (the dashboard's clock): its channels are read again if it comes back. */
export function markOffline(n: NodeState, now: number): void {
  n.presence = 'offline';
  delete n.degraded;
  n.offline_since = now;
  // Not answering: no stall said (its events' absence is its own), its FreeSWITCH shared with none.
  delete n.events_stalled_since;
  n.synced = false;
  n.syncRetryAt = 0;
}

/** An offline node whose retention has run out: its card (and channels) go. */
export function retentionOver(n: NodeState, now: number, retentionMs: number): boolean {
  return n.presence === 'offline' && n.offline_since !== undefined && now - n.offline_since >= retentionMs;
}

/**
 * The node a full map drops for a new one: the longest unseen among those that did not answer
 * this poll (`seen`). None when every node answered: the new one is then left out, so nodes that
 * keep answering are not swapped in and out every poll.
 */
export function longestUnseen(nodes: Iterable<NodeState>, seen: ReadonlySet<string>): NodeState | undefined {
  let oldest: NodeState | undefined;
  for (const n of nodes) {
    if (seen.has(n.node_id)) continue;
    if (oldest === undefined || n.last_seen < oldest.last_seen) oldest = n;
  }
  return oldest;
}

/** agent.status `park` when it tells on/off; else what the last dialplan.status said. */
export function parkOf(fromStatus: unknown, previous: ParkView | undefined): ParkView {
  const park = parkFrom(fromStatus);
  if (park.available || previous === undefined) return park;
  return previous;
}

/** The node's Event Socket link reconnected, or is ready again, since the previous status. */
export function eslCameBack(before: Record<string, unknown>, now: Record<string, unknown>): boolean {
  const a = eslOf(before);
  const b = eslOf(now);
  return a.reconnects !== b.reconnects || (a.status !== 'ready' && b.status === 'ready');
}

/**
 * When the node's FreeSWITCH was first told not ready (`esl_down_since`): kept from `prev` while
 * statuses keep telling so, `now` at the first, none while the status tells no link state. Ready
 * again, it is kept too: its calls may have ended unseen, so they stay stale until the node's
 * channels are read again (ChannelSync clears it then).
 */
export function eslDownSince(prev: NodeView | undefined, status: Record<string, unknown>, now: number): number | undefined {
  const { status: link } = eslOf(status);
  if (typeof link !== 'string') return undefined;
  if (link === 'ready') return prev?.esl_down_since;
  return prev?.esl_down_since ?? now;
}

/** FreeSWITCH is ready by the node's last status (or it tells no link state): a read now is of it back. */
export function eslReady(status: Record<string, unknown>): boolean {
  const { status: link } = eslOf(status);
  return typeof link !== 'string' || link === 'ready';
}

function eslOf(status: Record<string, unknown>): { status: unknown; reconnects: unknown } {
  const esl = status['esl'];
  if (typeof esl !== 'object' || esl === null) return { status: undefined, reconnects: undefined };
  const e = esl as Record<string, unknown>;
  return { status: e['status'], reconnects: e['reconnects'] };
}

export function publicNode(n: NodeView): NodeView {
  const view: NodeView = { node_id: n.node_id, presence: n.presence, last_seen: n.last_seen, status: n.status, park: n.park };
  if (n.degraded !== undefined) view.degraded = { ...n.degraded };
  if (n.esl_down_since !== undefined) view.esl_down_since = n.esl_down_since;
  if (n.presence === 'offline' && n.offline_since !== undefined) view.offline_since = n.offline_since;
  if (n.sync_error !== undefined) view.sync_error = { ...n.sync_error };
  if (n.events_stalled_since !== undefined) view.events_stalled_since = n.events_stalled_since;
  if (n.same_freeswitch !== undefined) view.same_freeswitch = { core_uuid: n.same_freeswitch.core_uuid, nodes: [...n.same_freeswitch.nodes] };
  return view;
}

/** A failed `show channels` reply, with the contract's code; both cut, as the card shows them (sync_error). */
export class SyncError extends Error {
  readonly code: string | undefined;
  constructor(reply: ReplyEnvelope) {
    super(reply.success ? 'show channels answered no text' : cutText(reply.message, MAX_FIELD_CHARS));
    this.code = reply.success || reply.code === undefined ? undefined : cutText(reply.code, MAX_STATUS_TEXT_CHARS);
  }
}

/**
 * When the node's last FreeSWITCH event was, by the dashboard's clock, after a status that tells
 * `received` (its agent's events_received; undefined when not told): `now` for a node new, back
 * from offline, or whose FreeSWITCH is not ready or came back (the watch starts again), or when
 * the count changed (rose; lower: a restarted agent); else what was known.
 */
export function lastEventAt(prev: NodeState | undefined, fresh: boolean, received: number | undefined, now: number): number {
  if (prev === undefined || fresh || prev.lastEventAt === undefined) return now;
  if (received !== undefined && prev.eventsReceived !== undefined && received !== prev.eventsReceived) return now;
  return prev.lastEventAt;
}

/** Other nodes a card names as agents of its FreeSWITCH. */
const MAX_SAME_FREESWITCH = 10;

/**
 * The other answering nodes of each node's FreeSWITCH (same Core-UUID), as `same_freeswitch`;
 * returns the nodes whose view of it changed.
 */
export function markSameFreeswitch(nodes: Iterable<NodeState>): NodeState[] {
  const byCore = new Map<string, string[]>();
  const all = [...nodes];
  for (const n of all) {
    if (n.presence === 'offline' || n.coreUuid === undefined) continue;
    const ids = byCore.get(n.coreUuid);
    if (ids === undefined) byCore.set(n.coreUuid, [n.node_id]);
    else ids.push(n.node_id);
  }
  const changed: NodeState[] = [];
  for (const n of all) {
    const core = n.presence === 'offline' ? undefined : n.coreUuid;
    const others = core === undefined ? [] : (byCore.get(core) ?? []).filter((id) => id !== n.node_id).sort().slice(0, MAX_SAME_FREESWITCH);
    const before = n.same_freeswitch;
    if (others.length === 0) {
      if (before === undefined) continue;
      delete n.same_freeswitch;
    } else {
      if (before !== undefined && before.core_uuid === core && before.nodes.join('\n') === others.join('\n')) continue;
      n.same_freeswitch = { core_uuid: core!, nodes: others };
    }
    changed.push(n);
  }
  return changed;
}
