/**
 * Waits for the CHANNEL_EXECUTE_COMPLETE of applications dispatched by execute_app, matched by
 * the Application-UUID FreeSWITCH copies from our sendmsg's Event-UUID. A watch ends with the
 * completion or with the channel: its CHANNEL_DESTROY, or — when the event connection was lost
 * and the hangup never seen — the reconcile after the reconnect (ChannelReconciler). A watch that
 * ends with its channel is told (`onGone`). The table is bounded, the oldest watch is dropped
 * when it is full: counted (`dropped`), reported to `onDrop` (the agent logs it and exports
 * both numbers in /metrics and agent.status), and told too (`onGone('evicted')`). When the agent
 * stops (`close`), every watch still pending is told (`onGone('shutdown')`): a restarted agent has
 * no record of it, so its consumer would otherwise wait out its own timeout.
 */
import type { EslEvent } from '@fsbus/esl';
import { LossMarks } from '../loss-marks.js';

/** @default bound of pending watches */
export const DEFAULT_MAX_WATCHES = 10_000;

/** A watch dropped to make room: its completion will not be forwarded. */
export interface EvictedWatch {
  applicationUuid: string;
  channel: string;
}

/** How a watch's channel ended without its completion: seen hanging up, or found gone after an event connection loss. */
export type ChannelEnd = 'hangup' | 'unseen';

/**
 * Why a watch ended without its completion: its channel ended, it was dropped to make room
 * (`evicted`), or the agent stopped (`shutdown`).
 */
export type WatchEnd = ChannelEnd | 'evicted' | 'shutdown';

interface Watch {
  channel: string;
  /** The loss count when the watch began (see LossMarks). */
  since: number;
  onComplete(event: EslEvent): void;
  onGone: ((end: WatchEnd) => void) | undefined;
}

export class ExecuteCompletions {
  readonly #max: number;
  readonly #onDrop: ((evicted: EvictedWatch) => void) | undefined;
  readonly #byApp = new Map<string, Watch>();
  /** A watch whose channel is found gone is ended (`unseen`) as its CHANNEL_DESTROY would have ended it. */
  readonly tracker = new LossMarks({
    entries: this.#byApp,
    since: (w) => w.since,
    channel: (_app, w) => w.channel,
    end: (app, w) => this.#end(app, w, 'unseen'),
  });
  /** Watches dropped because the table was full. */
  dropped = 0;
  #closed = false;

  /** `max` @default DEFAULT_MAX_WATCHES; `onDrop` hears each watch dropped because the table was full. */
  constructor(max = DEFAULT_MAX_WATCHES, onDrop?: (evicted: EvictedWatch) => void) {
    this.#max = max;
    this.#onDrop = onDrop;
  }

  /** The bound of pending watches. */
  get max(): number {
    return this.#max;
  }

  get pending(): number {
    return this.#byApp.size;
  }

  /**
   * `onGone` hears a channel that ended before the completion came (it never will), or that this
   * watch was dropped to make room for a newer one (`evicted`: its completion will not be heard).
   */
  watch(applicationUuid: string, channelUuid: string, onComplete: (event: EslEvent) => void, onGone?: (end: WatchEnd) => void): () => void {
    // A command still running past the stop's drain: no one would be left to end this watch.
    if (this.#closed) {
      onGone?.('shutdown');
      return () => undefined;
    }
    if (this.#byApp.size >= this.#max) {
      const oldest = this.#byApp.entries().next().value;
      this.dropped++;
      if (oldest !== undefined) {
        this.#end(oldest[0], oldest[1], 'evicted');
        this.#onDrop?.({ applicationUuid: oldest[0], channel: oldest[1].channel });
      }
    }
    this.#byApp.set(applicationUuid, { channel: channelUuid, since: this.tracker.losses, onComplete, onGone });
    return () => this.#byApp.delete(applicationUuid);
  }

  onEvent(e: EslEvent): void {
    if (this.#byApp.size === 0) return;
    const name = e.name;
    if (name === 'CHANNEL_EXECUTE_COMPLETE') {
      const app = e.getHeader('Application-UUID');
      const w = app === undefined ? undefined : this.#byApp.get(app);
      if (w === undefined || app === undefined) return;
      this.#byApp.delete(app);
      w.onComplete(e);
    } else if (name === 'CHANNEL_DESTROY') {
      const uuid = e.uuid;
      for (const [app, w] of this.#byApp) if (w.channel === uuid) this.#end(app, w, 'hangup');
    }
  }

  /**
   * At shutdown, once the drain is over and before the broker is flushed: every pending watch is
   * told (`onGone('shutdown')`), later ones at once. Returns how many were pending. A watch whose
   * completion came first was removed with it, so it is never told this too.
   */
  close(): number {
    this.#closed = true;
    const pending = [...this.#byApp];
    for (const [app, w] of pending) this.#end(app, w, 'shutdown');
    return pending.length;
  }

  #end(app: string, w: Watch, end: WatchEnd): void {
    this.#byApp.delete(app);
    w.onGone?.(end);
  }
}
