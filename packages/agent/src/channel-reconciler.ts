/**
 * Call control remembers channels (execute_app completion watches, parked channels) and forgets
 * each one on its hangup event. Events FreeSWITCH sent while the event connection was down are
 * never seen, so after every loss the remembered channels are checked against FreeSWITCH's live
 * ones (`show channels as json`) once events flow again, and those gone are ended as their hangup
 * would have ended them.
 *
 * What was tracked before the loss is checked against the list. A channel tracked since (during
 * the outage, or just after) may be newer than the list — FreeSWITCH fills it from its database,
 * asynchronously — so each one missing from it is asked about by itself (`uuid_exists`, which
 * looks at the live sessions): one found gone is ended too; any other answer keeps it. The list is
 * asked for once the subscription is confirmed again, so a channel still in it will have its
 * hangup seen. A failed list forgets nothing: it is logged and asked again at the
 * next reconnect of the event connection (not of a command connection: a reply too large for the
 * connection would drop it and loop). With no command connection ready yet, the first one up asks.
 */
import type { EslLogger } from '@fsbus/esl';

/** What asks for a reconcile: events flowing again, or a command connection up. */
export type ReconcileTrigger = 'events' | 'commands';

/** What a call-control table must offer to be reconciled. */
export interface ChannelTracker {
  /** Event connection losses seen so far; each entry remembers the count it began at. */
  readonly losses: number;
  /** The event connection was lost: what is tracked now may end unseen. */
  eventsLost(): void;
  /** Entries that began before loss number `losses` (their channel existed before it). */
  trackedBefore(losses: number): number;
  /** Ends, as their hangup would, the entries that began before loss `losses` whose channel is not in `live`; how many. */
  forgetGone(live: ReadonlySet<string>, losses: number): number;
  /** The channels of the entries that began at or after loss `losses`. */
  channelsSince(losses: number): Set<string>;
  /** Ends, as their hangup would, the entries whose channel is in `gone`, whenever they began; how many. */
  forgetChannels(gone: ReadonlySet<string>): number;
}

export const RECONCILE_COMMAND = 'show channels as json';
/** Asks whether one channel is live: FreeSWITCH answers `true` or `false` from its sessions, not its database. */
export const EXISTS_COMMAND = 'uuid_exists';
/** A uuid that can go on an api command line as one argument. */
const ONE_ARGUMENT = /^[^\s\x00-\x1f\x7f]+$/;

export interface ChannelReconcilerOptions {
  /** The tables, by the name logs and `onReconciled` use. */
  trackers: Readonly<Record<string, ChannelTracker>>;
  /** `api` on a command connection; undefined when none is ready. */
  api(command: string): Promise<string | undefined>;
  /** The event connection is up and its subscription confirmed: FreeSWITCH's events reach us. */
  eventsFlowing(): boolean;
  logger: EslLogger;
  /** A reconcile ended: entries ended, by tracker name. */
  onReconciled(ended: Readonly<Record<string, number>>): void;
  onFailed(): void;
}

/** The uuids of a `show channels as json` reply, or why it cannot be trusted. */
export function liveChannels(output: string): Set<string> | string {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    return `not a channel list: ${JSON.stringify(output.trim().slice(0, 200))}`;
  }
  if (typeof value !== 'object' || value === null) return 'not a channel list: not a JSON object';
  const { row_count: count, rows } = value as { row_count?: unknown; rows?: unknown };
  if (typeof count !== 'number') return 'not a channel list: no row_count';
  // FreeSWITCH leaves `rows` out when there are none.
  if (count === 0 && rows === undefined) return new Set();
  if (!Array.isArray(rows) || rows.length !== count) return `not a channel list: row_count ${count} but ${Array.isArray(rows) ? rows.length : 'no'} rows`;
  const live = new Set<string>();
  for (const row of rows as unknown[]) {
    const uuid = typeof row === 'object' && row !== null ? (row as { uuid?: unknown }).uuid : undefined;
    if (typeof uuid !== 'string' || uuid === '') return 'not a channel list: a row without uuid';
    live.add(uuid);
  }
  return live;
}

export class ChannelReconciler {
  readonly #o: ChannelReconcilerOptions;
  readonly #trackers: ReadonlyArray<[string, ChannelTracker]>;
  /** Losses seen, and how many of them are reconciled. */
  #losses = 0;
  #reconciled = 0;
  #running = false;
  /** Pokes while running, looked at when the run ends. */
  readonly #pokedDuringRun = new Set<ReconcileTrigger>();
  /** What the last failed run waits for; a poke from the other is ignored. */
  #waitFor: ReconcileTrigger | undefined;
  #closed = false;

  constructor(options: ChannelReconcilerOptions) {
    this.#o = options;
    this.#trackers = Object.entries(options.trackers);
  }

  /** A loss not reconciled yet. */
  get due(): boolean {
    return this.#reconciled !== this.#losses;
  }

  /** The event connection went down. */
  eventsLost(): void {
    this.#losses++;
    for (const [, t] of this.#trackers) t.eventsLost();
  }

  /** Events flow again, or a command connection came up: reconciles when a loss is still due. */
  poke(trigger: ReconcileTrigger): void {
    if (this.#closed || !this.due || (trigger === 'commands' && this.#waitFor === 'events')) return;
    if (this.#running) {
      this.#pokedDuringRun.add(trigger);
      return;
    }
    if (!this.#o.eventsFlowing()) return;
    void this.#run();
  }

  close(): void {
    this.#closed = true;
  }

  async #run(): Promise<void> {
    this.#running = true;
    this.#pokedDuringRun.clear();
    this.#waitFor = undefined;
    const losses = this.#losses;
    const marks = this.#trackers.map(([, t]) => t.losses);
    /** Nothing more to do until the next poke: the list failed, or no command connection is up. */
    let wait: ReconcileTrigger | undefined;
    try {
      if (this.#trackers.every(([, t], i) => t.trackedBefore(marks[i]!) === 0 && t.channelsSince(marks[i]!).size === 0)) {
        this.#reconciled = losses;
        return;
      }
      let output: string | undefined;
      try {
        output = await this.#o.api(RECONCILE_COMMAND);
      } catch (err) {
        this.#fail(err instanceof Error ? err.message : String(err));
        wait = 'events';
        return;
      }
      // No command connection yet: the first one up pokes again.
      if (output === undefined || this.#closed) {
        wait = 'commands';
        return;
      }
      const live = liveChannels(output);
      if (typeof live === 'string') {
        this.#fail(live);
        wait = 'events';
        return;
      }
      const ended = Object.fromEntries(this.#trackers.map(([name, t], i) => [name, t.forgetGone(live, marks[i]!)]));
      const unsure = new Set<string>();
      this.#trackers.forEach(([, t], i) => {
        for (const uuid of t.channelsSince(marks[i]!)) if (!live.has(uuid)) unsure.add(uuid);
      });
      const { gone, asked, unchecked } = await this.#askEach(unsure);
      if (gone.size > 0) for (const [name, t] of this.#trackers) ended[name] = (ended[name] ?? 0) + t.forgetChannels(gone);
      this.#reconciled = losses;
      // Something ended unseen is worth a warning: a forward_to consumer was told late.
      const fields = { live: live.size, ended, ...(asked > 0 ? { asked } : {}), ...(unchecked > 0 ? { unchecked } : {}) };
      const msg = 'channels checked after the FreeSWITCH event connection came back';
      if (Object.values(ended).some((n) => n > 0)) this.#o.logger.warn(fields, msg);
      else this.#o.logger.info(fields, msg);
      this.#o.onReconciled(ended);
    } finally {
      this.#running = false;
      this.#waitFor = wait;
      // A poke during the run (a reconnect: maybe a loss it did not cover) is answered now, unless the run waits for another.
      const poked = [...this.#pokedDuringRun];
      this.#pokedDuringRun.clear();
      for (const trigger of poked) this.poke(trigger);
    }
  }

  /**
   * Asks about each channel in turn — one at a time, so the check holds one command at a time
   * however many channels began during the outage; `gone` holds those FreeSWITCH answered
   * `false` for. Stops at the first failure or when no command connection is up: the rest stay
   * (checked after the next loss).
   */
  async #askEach(uuids: ReadonlySet<string>): Promise<{ gone: Set<string>; asked: number; unchecked: number }> {
    const gone = new Set<string>();
    let asked = 0;
    for (const uuid of uuids) {
      if (this.#closed) break;
      if (!ONE_ARGUMENT.test(uuid)) continue;
      let answer: string | undefined;
      try {
        answer = await this.#o.api(`${EXISTS_COMMAND} ${uuid}`);
      } catch (err) {
        this.#o.logger.warn({ reason: err instanceof Error ? err.message : String(err), command: EXISTS_COMMAND }, 'could not ask FreeSWITCH about a channel after the reconnect; kept');
        break;
      }
      if (answer === undefined) break;
      asked++;
      if (answer.trim() === 'false') gone.add(uuid);
    }
    return { gone, asked, unchecked: uuids.size - asked };
  }

  #fail(reason: string): void {
    this.#o.logger.warn({ reason, command: RECONCILE_COMMAND }, 'could not list FreeSWITCH channels after the reconnect; nothing forgotten, asking again at the next reconnect');
    this.#o.onFailed();
  }
}
