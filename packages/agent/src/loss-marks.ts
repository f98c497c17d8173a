/**
 * The loss bookkeeping of a call-control table (a ChannelTracker), kept once for every table.
 * Each entry remembers the event connection loss count at which it began: events FreeSWITCH sent
 * while that connection was down are never seen, so after a loss the entries begun before it
 * whose channel FreeSWITCH no longer lists are ended; one begun since may be newer than the list,
 * so its channel is asked about by itself (ChannelReconciler). The table keeps its entries and
 * its own way of ending one (telling a watch, forgetting a parked channel); this class counts the
 * losses and picks the entries to end.
 */
import type { ChannelTracker } from './channel-reconciler.js';

/** How LossMarks reads a table. */
export interface MarkedTable<K, V> {
  readonly entries: ReadonlyMap<K, V>;
  /** The loss count the entry began at: LossMarks.losses then. */
  since(entry: V): number;
  /** The uuid of the entry's channel. */
  channel(key: K, entry: V): string;
  /** Ends the entry, as its channel's hangup would, and removes it from `entries`. */
  end(key: K, entry: V): void;
}

export class LossMarks<K, V> implements ChannelTracker {
  readonly #table: MarkedTable<K, V>;
  #losses = 0;

  constructor(table: MarkedTable<K, V>) {
    this.#table = table;
  }

  get losses(): number {
    return this.#losses;
  }

  eventsLost(): void {
    this.#losses++;
  }

  trackedBefore(losses: number): number {
    let n = 0;
    for (const entry of this.#table.entries.values()) if (this.#table.since(entry) < losses) n++;
    return n;
  }

  forgetGone(live: ReadonlySet<string>, losses: number): number {
    let n = 0;
    for (const [key, entry] of this.#table.entries) {
      if (this.#table.since(entry) >= losses || live.has(this.#table.channel(key, entry))) continue;
      this.#table.end(key, entry);
      n++;
    }
    return n;
  }

  channelsSince(losses: number): Set<string> {
    const channels = new Set<string>();
    for (const [key, entry] of this.#table.entries) if (this.#table.since(entry) >= losses) channels.add(this.#table.channel(key, entry));
    return channels;
  }

  forgetChannels(gone: ReadonlySet<string>): number {
    let n = 0;
    for (const [key, entry] of this.#table.entries) {
      if (!gone.has(this.#table.channel(key, entry))) continue;
      this.#table.end(key, entry);
      n++;
    }
    return n;
  }
}
