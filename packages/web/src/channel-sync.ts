/**
 * Reading a node's channels from FreeSWITCH itself (`show channels`), for what events could not
 * tell while the dashboard, the bus or the node was away. A failure is shown on the node's card
 * (`sync_error`), warned once per run of failures, and tried again with backoff, not every poll.
 */
import { BusErrorCode, terminalLine } from '@fsbus/contract';
import type { DashboardBus } from './bus-port.js';
import { eslReady, SyncError, type NodeState } from './node-state.js';
import type { SyncErrorView } from './protocol.js';
import { readShowChannels, type ShowChannelsListing } from './show-channels.js';

/** Longest wait between two failed channel reads of a node. */
const MAX_SYNC_RETRY_MS = 300_000;
/** Bound of one `show channels` request. */
const SYNC_TIMEOUT_MS = 5000;

/** The dashboard's side of a read. */
export interface ChannelSyncHost {
  /** The current bus link (it changes on a rebind). */
  bus(): DashboardBus;
  closed(): boolean;
  /** The node's channels as read, since `since` (events after it know better). */
  apply(node: NodeState, listing: ShowChannelsListing, since: number): void;
  /** The node's card changed. */
  nodeChanged(node: NodeState): void;
  warn(message: string): void;
}

export class ChannelSync {
  readonly #host: ChannelSyncHost;
  readonly #retryMs: number;

  /** `retryMs`: the first wait after a failed read; it doubles up to 5 minutes. */
  constructor(host: ChannelSyncHost, retryMs: number) {
    this.#host = host;
    this.#retryMs = retryMs;
  }

  async sync(node: NodeState): Promise<void> {
    const host = this.#host;
    const since = Date.now();
    let listing: ShowChannelsListing;
    try {
      listing = await this.#read(node);
    } catch (err) {
      if (!host.closed()) this.#failed(node, err);
      return;
    }
    if (host.closed()) return;
    if (!listing.complete) {
      this.#warn(`dashboard: the channel listing of ${node.node_id} has lines that are not rows (a value with a line break?): ${listing.rows.length} channel(s) read, none removed`);
    }
    host.apply(node, listing, since);
    node.synced = true;
    let changed = false;
    // Read since FreeSWITCH came back: the calls it ended unseen are gone, the rest live again.
    if (node.esl_down_since !== undefined && eslReady(node.status)) {
      delete node.esl_down_since;
      changed = true;
    }
    if (node.sync_error !== undefined) {
      this.#warn(`dashboard: channels of ${node.node_id} read again after ${node.syncFailures} failed attempt(s)`);
      delete node.sync_error;
      changed = true;
    }
    if (changed) host.nodeChanged(node);
    node.syncFailures = 0;
  }

  /**
   * `show channels as json`, or the delimited listing (a third of the size: no key names) once a
   * node's JSON is over the broker's max payload (~850 bytes a row, 1 MiB by default on NATS:
   * ~1,200 channels; the listing fits ~3,500). That node stays on the listing until a read of
   * it finds half the channels (or fewer) of the first one after the switch: then JSON is tried
   * again on the next read.
   */
  async #read(node: NodeState): Promise<ShowChannelsListing> {
    if (!node.compact) {
      const reply = await this.#host.bus().request({ command: 'show', args: 'channels as json' }, node.node_id, SYNC_TIMEOUT_MS);
      if (reply.success && typeof reply.data === 'string') return readShowChannels(reply.data);
      if (reply.code !== BusErrorCode.REPLY_TOO_LARGE) throw new SyncError(reply);
      node.compact = true;
      delete node.compactRows;
    }
    const reply = await this.#host.bus().request({ command: 'show', args: 'channels' }, node.node_id, SYNC_TIMEOUT_MS);
    if (!reply.success || typeof reply.data !== 'string') throw new SyncError(reply);
    const listing = readShowChannels(reply.data);
    // Half the channels there were when JSON was too large: the next read tries JSON again.
    if (node.compactRows === undefined) node.compactRows = listing.rows.length;
    else if (listing.rows.length <= node.compactRows / 2) {
      node.compact = false;
      delete node.compactRows;
    }
    return listing;
  }

  /** Node ids and reply messages come from the bus: escaped for the operator's terminal. */
  #warn(message: string): void {
    this.#host.warn(terminalLine(message));
  }

  #failed(node: NodeState, err: unknown): void {
    const now = Date.now();
    node.syncFailures++;
    const wait = Math.min(MAX_SYNC_RETRY_MS, this.#retryMs * 2 ** Math.min(node.syncFailures - 1, 16));
    node.syncRetryAt = now + wait;
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof SyncError ? err.code : undefined;
    const view: SyncErrorView = {
      message: `could not read the channels of ${node.node_id} (its channel list may be stale): ${message}`,
      since: node.sync_error?.since ?? now,
      attempts: node.syncFailures,
      retry_at: node.syncRetryAt,
    };
    if (code !== undefined) view.code = code;
    node.sync_error = view;
    this.#host.nodeChanged(node);
    // Once per run of failures: the card keeps saying it (attempts, next retry).
    if (node.syncFailures === 1) this.#warn(`dashboard: ${view.message}${code === undefined ? '' : ` (${code})`}; retrying with backoff`);
  }
}
