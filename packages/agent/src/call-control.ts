/**
 * Call control's memory of channels: execute_app completion watches and parked channels, both fed
 * from FreeSWITCH's events, and the reconciler that ends what they remember when events went
 * missing (channel-reconciler.ts). The agent wires it to the Event Socket link; this owns the
 * bookkeeping, counters and log lines.
 */
import { LogThrottle, type EslEvent, type EslClientStatus } from '@fsbus/esl';
import type { Logger } from 'pino';
import { ChannelReconciler, type ChannelReconcilerOptions, type ReconcileTrigger } from './channel-reconciler.js';
import { ExecuteCompletions } from './commands/execute-completions.js';
import type { ParkManager } from './dialplan/park-manager.js';
import type { AgentMetrics } from './metrics.js';

/** Events call control needs whatever is published: execute_app completions, real parks, channel ends. */
const CALL_CONTROL_EVENTS = ['CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_PARK', 'CHANNEL_UNPARK', 'CHANNEL_DESTROY'];
/** And with park mode on: an execute on a parked call waits for the park audio's start before breaking it. */
const PARK_MODE_EVENTS = ['PLAYBACK_START'];

/**
 * The publish plan's `event json` names plus what call control needs (subclasses stay after
 * CUSTOM); `parkMode`: the dialplan endpoint listens (one event per prompt played otherwise).
 */
export function subscriptionNames(planNames: readonly string[], parkMode = false): string[] {
  if (planNames.includes('ALL')) return [...planNames];
  const custom = planNames.indexOf('CUSTOM');
  const names = custom < 0 ? [...planNames] : planNames.slice(0, custom);
  const tail = custom < 0 ? [] : planNames.slice(custom);
  for (const n of parkMode ? [...CALL_CONTROL_EVENTS, ...PARK_MODE_EVENTS] : CALL_CONTROL_EVENTS) if (!names.includes(n)) names.push(n);
  return [...names, ...tail];
}

export interface CallControlOptions {
  maxExecuteWatches: number;
  park: ParkManager;
  metrics: AgentMetrics;
  logger: Logger;
  /** Something status() shows changed. */
  onChange(): void;
}

export class CallControl {
  readonly completions: ExecuteCompletions;
  readonly #o: CallControlOptions;
  readonly #evictionLog: LogThrottle;
  #reconciler: ChannelReconciler | undefined;
  /** Channels found gone after an event connection loss, per table. */
  readonly #endedUnseen = { execute_watches: 0, parked: 0 };
  #reconcileFailures = 0;
  #eventsUp = false;

  constructor(options: CallControlOptions) {
    this.#o = options;
    this.#evictionLog = new LogThrottle(
      (fields, msg) => options.logger.warn(fields, msg),
      'execute_app completion watches full: the oldest was dropped, its completion will not be forwarded',
    );
    this.completions = new ExecuteCompletions(options.maxExecuteWatches, (evicted) =>
      this.#evictionLog.hit({ application_uuid: evicted.applicationUuid, channel: evicted.channel, max: this.completions.max }),
    );
  }

  /** Reconciles, and starts parked calls' audio, over FreeSWITCH's command connections from now on. */
  startReconciling(link: Pick<ChannelReconcilerOptions, 'api' | 'eventsFlowing'>): void {
    const { metrics, park } = this.#o;
    park.playAudioWith(link.api);
    this.#reconciler = new ChannelReconciler({
      ...link,
      trackers: { execute_watches: this.completions.tracker, parked: park.tracker },
      logger: this.#o.logger.child({ component: 'call-control' }),
      onReconciled: ({ execute_watches: watches = 0, parked = 0 }) => {
        this.#endedUnseen.execute_watches += watches;
        this.#endedUnseen.parked += parked;
        metrics.channelsEndedUnseen.inc({ table: 'execute_watches' }, watches);
        metrics.channelsEndedUnseen.inc({ table: 'parked' }, parked);
        this.#o.onChange();
      },
      onFailed: () => {
        this.#reconcileFailures++;
        metrics.channelReconcileFailures.inc();
        this.#o.onChange();
      },
    });
  }

  onEvent(e: EslEvent): void {
    this.completions.onEvent(e);
    this.#o.park.onEvent(e);
  }

  /** The event connection's status: whatever FreeSWITCH sends until the next confirmed subscription is never seen. */
  eventsStatus(status: EslClientStatus): void {
    if (status === 'ready') this.#eventsUp = true;
    else if (this.#eventsUp) {
      this.#eventsUp = false;
      this.#reconciler?.eventsLost();
    }
  }

  /** A command connection is up, or the event subscription confirmed: a pending reconcile may run. */
  poke(trigger: ReconcileTrigger): void {
    this.#reconciler?.poke(trigger);
  }

  /** The agent.status counters call control owns. */
  counters(): Record<string, number> {
    return {
      execute_watches_pending: this.completions.pending,
      execute_watches_evicted: this.completions.dropped,
      execute_watches_ended_unseen: this.#endedUnseen.execute_watches,
      parked_ended_unseen: this.#endedUnseen.parked,
      channel_reconcile_failures: this.#reconcileFailures,
    };
  }

  /**
   * At shutdown, before the link closes and the broker is flushed: no more reconciles, and every
   * pending execute_app watch's forward_to is told that this agent will not forward its completion.
   */
  close(): void {
    this.#reconciler?.close();
    const told = this.completions.close();
    if (told > 0) this.#o.logger.info({ execute_watches: told }, 'agent stopping: pending execute_app completions will not be forwarded, their forward_to subjects were told');
  }

  /** Writes what the rate-limited eviction line still holds (last thing at shutdown, not a timer after it). */
  flushLog(): void {
    this.#evictionLog.flush();
  }
}
