/**
 * What the agent says of events its broker buffer could not keep: a full buffer during an outage
 * is an error line per burst (with the hangups among the drops), and so are events the broker
 * failed after they were sent (a line of their own, each drop's own facts: nothing was buffered),
 * and those a full send queue pushed out before they left (Kafka, connected: a line of their own);
 * then, once the broker takes events again, CUSTOM `fsbus::events_dropped` with the count and time
 * range — a loss only after send at most once per window; a stop with the broker still away waits
 * for it within the shutdown budget, then says what it discards (docs/agent.md: Events,
 * Operations → Shutdown).
 */
import { EVENTS_DROPPED_SUBCLASS } from '@fsbus/contract';
import { DEFAULT_LOG_THROTTLE_MS, LogThrottle } from '@fsbus/esl';
import type { Driver, DriverStats } from '@fsbus/transport';
import type { Logger } from 'pino';
import type { DropReporting, EventPublisher } from './event-publisher.js';
import type { EventLoss } from './lifecycle-events.js';

export const EVENTS_DROPPED_LOG = 'outgoing buffer full: oldest events dropped';
export const EVENTS_DROPPED_AFTER_SEND_LOG = 'events sent but not confirmed by the broker (failed there, or unconfirmed when the connection went: possibly delivered): counted in events_dropped, not events_failed';
/** Events the driver's full send queue pushed out for newer ones while connected (Kafka): they never left. */
export const EVENTS_PUSHED_OUT_LOG = 'events pushed out of the full send buffer before they were sent (not delivered): counted in events_dropped, not events_failed';
export const EVENTS_REFUSED_LOG = 'events refused by a queue at the broker (nack): other subscribers may have them';
export const STOP_WAITS_FOR_BROKER_LOG = 'stopping: waiting for the broker to take the buffered events';
export const EVENTS_DISCARDED_AT_STOP_LOG = 'stopped with the broker away: buffered events discarded';
export const TELLING_SUBSCRIBERS_LOG = 'events were dropped: telling subscribers (fsbus::events_dropped)';
/** The same moment with fsbus::events_dropped excluded by events.exclude: nobody is told. */
export const NOT_TOLD_EXCLUDED_LOG = 'events were dropped: not told to subscribers, fsbus::events_dropped is excluded by events.exclude';
export const OWN_EVENT_DROPPED_AFTER_SEND_LOG = "the agent's own event failed at the broker after it was sent: dropped, not told again";

export interface BufferedLossOptions {
  logger: Logger;
  buffer: { buffer_messages: number; buffer_bytes: number };
  brokerStatus(): string;
  /** Events the driver dropped so far. */
  droppedTotal(): number;
  /** Publishes fsbus::events_dropped for `loss`; false when there is nobody to tell yet (before agent_start, which means "resync" anyway). */
  announce(loss: EventLoss): boolean;
  /** Resolves once everything published so far reached the broker (the driver's flush()); rejects if it cannot now. */
  drained?(): Promise<void>;
  /** Messages the driver's buffer holds now (its stats().pending). */
  pending?(): number;
  /** Window of the rate-limited lines and of telling a loss only after send. @default DEFAULT_LOG_THROTTLE_MS */
  intervalMs?: number | undefined;
}

/** How long a stop waited in vain for the broker. */
export interface HeldAtStop {
  waitedMs: number;
}

export class BufferedLoss {
  readonly #o: BufferedLossOptions;
  readonly #droppedLog: LogThrottle;
  readonly #afterSendLog: LogThrottle;
  readonly #pushedOutLog: LogThrottle;
  readonly #refusedLog: LogThrottle;
  readonly #tellingLog: LogThrottle;
  readonly #notToldLog: LogThrottle;
  readonly #ownDroppedLog: LogThrottle;
  readonly #intervalMs: number;
  /**
   * tell() is publishing: a drop the announcement itself causes (a full send queue pushing its
   * oldest out, handed back as failed after send) waits for the next tell, not told from inside
   * this one — which announced one event at a time, each notice pushing out the next.
   */
  #telling = false;
  #publisher: EventPublisher | undefined;
  /** The loss waiting to be told holds drops other than after send (the buffer's, or unbuffered). */
  #notOnlyAfterSend = false;
  /** When fsbus::events_dropped was last published (performance.now()). */
  #toldAt = Number.NEGATIVE_INFINITY;
  /** A drain of the driver's buffer is awaited to tell the buffer's drops (#tellOnceDrained). */
  #awaitingDrain = false;

  constructor(options: BufferedLossOptions) {
    this.#o = options;
    const ms = (this.#intervalMs = options.intervalMs ?? DEFAULT_LOG_THROTTLE_MS);
    const error = (fields: Record<string, unknown>, msg: string) => options.logger.error(fields, msg);
    // Lost events are lost data, as at a stop: error, not warn.
    this.#droppedLog = new LogThrottle(error, EVENTS_DROPPED_LOG, ms);
    // Its summary line counts every drop it stands for (not the last one's alone, which read as
    // `events_dropped: 1, suppressed: 21`), over their whole range; `broker` is the status when
    // the line is written (a summary written during an outage said "connected", the status at the drop).
    this.#afterSendLog = new LogThrottle(
      (fields, msg) => error({ ...fields, broker: options.brokerStatus() }, msg),
      EVENTS_DROPPED_AFTER_SEND_LOG,
      ms,
      (held, next) => (held === undefined ? next : summed(held, next)),
    );
    // Never left (not "possibly delivered"): a burst faster than a connected broker takes. Summed
    // the same way, with the buffer's size (the send queue's bound), the setting to raise.
    this.#pushedOutLog = new LogThrottle(
      (fields, msg) => error({ ...fields, buffer_messages: options.buffer.buffer_messages, buffer_bytes: options.buffer.buffer_bytes, broker: options.brokerStatus() }, msg),
      EVENTS_PUSHED_OUT_LOG,
      ms,
      (held, next) => (held === undefined ? next : summed(held, next)),
    );
    // A nack says only that some queue refused (full with reject-publish, or failing), not which:
    // a loss for that queue's consumer, perhaps for nobody else. Its own line, summed the same way.
    this.#refusedLog = new LogThrottle(
      (fields, msg) => error({ ...fields, broker: options.brokerStatus() }, msg),
      EVENTS_REFUSED_LOG,
      ms,
      (held, next) => (held === undefined ? next : summed(held, next)),
    );
    // Subscribers miss what it said (a loss, a resync): lost data too.
    this.#ownDroppedLog = new LogThrottle(error, OWN_EVENT_DROPPED_AFTER_SEND_LOG, ms);
    this.#tellingLog = new LogThrottle((fields, msg) => options.logger.warn(fields, msg), TELLING_SUBSCRIBERS_LOG, ms);
    this.#notToldLog = new LogThrottle((fields, msg) => options.logger.warn(fields, msg), NOT_TOLD_EXCLUDED_LOG, ms);
  }

  /** What the event publisher reports its drops through. */
  get reporting(): DropReporting {
    return {
      droppedTotal: () => this.#o.droppedTotal(),
      onDropped: (drop, loss, cause, fullBy, unsent) => {
        if (cause !== 'after-send') this.#notOnlyAfterSend = true;
        if (cause === 'buffer-full') {
          this.#droppedLog.hit({ ...this.#fields(loss), ...this.#limitFields(fullBy) });
          this.#tellOnceDrained();
        }
        else if (cause === 'after-send' && (drop.refused ?? 0) > 0) this.#refusedLog.hit(this.#lossFields(drop));
        else if (cause === 'after-send' && unsent === true) this.#pushedOutLog.hit(this.#lossFields(drop));
        else if (cause === 'after-send') this.#afterSendLog.hit(this.#lossFields(drop));
      },
      onFlowing: () => {
        // An event sent at once after the buffer drained proves the broker back; after a drop after
        // send it proves nothing (such a broker fails events only once they went), and telling at
        // each would announce after almost every event of a broker failing them all. So a loss
        // only after send is told at most once per window: what comes within one waits for the
        // first event sent after it (or a reconnect, or the stop). A window needs no timer.
        if (this.#notOnlyAfterSend || performance.now() - this.#toldAt >= this.#intervalMs) this.tell();
      },
      // Not a loss to announce: the announcement would be one more event that broker may fail.
      onOwnDropped: (subject) => this.#ownDroppedLog.hit({ subject, broker: this.#o.brokerStatus() }),
    };
  }

  /**
   * A buffer that overflowed while the broker stayed connected (a burst faster than it takes) is
   * told once it drained, not only by the next event sent at once — on a quiet node that is the
   * next HEARTBEAT, up to 20 s later. Away, the reconnect tells instead (a flush would fail at once).
   */
  #tellOnceDrained(): void {
    if (this.#awaitingDrain || this.#o.drained === undefined || this.#o.brokerStatus() !== 'connected') return;
    this.#awaitingDrain = true;
    this.#o.drained().then(
      () => {
        this.#awaitingDrain = false;
        if (!this.#notOnlyAfterSend) return; // told meanwhile (an event sent at once, a reconnect)
        // flush() covers what was held when it was called: a burst still going has refilled the
        // buffer since, and telling at each refill would announce (into that full buffer) and log
        // once per cycle. Told once the buffer is empty; until then, wait for the next drain.
        if ((this.#o.pending?.() ?? 0) === 0) this.tell();
        else setImmediate(() => this.#tellOnceDrained());
      },
      () => {
        // Lost meanwhile (the reconnect tells) or refused by the broker (the next drop waits again).
        this.#awaitingDrain = false;
      },
    );
  }

  /** The publisher whose drops are told (it keeps them, and the hangups it holds). */
  attach(publisher: EventPublisher): void {
    this.#publisher = publisher;
  }

  /** The drops not told yet, once the broker takes events again: one fsbus::events_dropped event. */
  tell(): void {
    if (this.#telling) return;
    const loss = this.#publisher?.takeLoss();
    if (loss === undefined) return;
    this.#notOnlyAfterSend = false;
    // The buffer's burst ends with the broker back: its line first. The after-send line keeps its
    // window (a flush would log the next drop at once: a line per event for a broker failing all).
    this.#droppedLog.flush();
    this.#telling = true;
    let told: boolean;
    try {
      told = this.#o.announce(loss);
    } finally {
      this.#telling = false;
    }
    if (!told) return;
    this.#toldAt = performance.now();
    // Excluded, the announcement was filtered out: the line must not say anyone was told.
    const excluded = this.#publisher?.acceptsOwn({ name: 'CUSTOM', subclass: EVENTS_DROPPED_SUBCLASS }) === false;
    (excluded ? this.#notToldLog : this.#tellingLog).hit(this.#fields(loss));
  }

  /**
   * Events still buffered for a broker that is away would be discarded by the close: waits for
   * it until `deadline` (performance.now() time). Returns how long it waited in vain, or
   * undefined when nothing is left to lose.
   */
  async awaitBroker(driver: Driver | undefined, deadline: number): Promise<HeldAtStop | undefined> {
    if (driver === undefined) return undefined;
    const pending = (): number => driver.stats().pending;
    // Read anew after the wait (a narrowed `driver.status` would not be).
    const status = (): string => driver.status;
    if (status() === 'connected' || status() === 'closed' || pending() === 0) return undefined;
    const waitMs = Math.max(0, Math.floor(deadline - performance.now()));
    this.#o.logger.warn({ broker: driver.status, buffered: pending(), wait_ms: waitMs }, STOP_WAITS_FOR_BROKER_LOG);
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      const off = driver.on((e) => {
        if (e.type === 'status' && (e.status === 'connected' || e.status === 'closed')) done();
      });
    });
    // Back (what waited went out first), or nothing left to lose.
    if (status() === 'connected' || pending() === 0) return undefined;
    return { waitedMs: Math.round(performance.now() - started) };
  }

  /** The close discarded the newest `discarded` buffered events: said once, loudly (counted in events_dropped by the driver). */
  sayDiscarded(held: HeldAtStop, discarded: number): void {
    if (discarded <= 0) return;
    const hangups = this.#publisher?.hangupsHeld(discarded) ?? 0;
    this.#o.logger.error({ events_discarded: discarded, hangups_discarded: hangups, waited_ms: held.waitedMs }, EVENTS_DISCARDED_AT_STOP_LOG);
  }

  /** What the rate-limited line still holds, written now (the stop). */
  flush(): void {
    this.#droppedLog.flush();
    this.#afterSendLog.flush();
    this.#pushedOutLog.flush();
    this.#refusedLog.flush();
    this.#ownDroppedLog.flush();
    this.#tellingLog.flush();
    this.#notToldLog.flush();
  }

  #fields(loss: EventLoss): Record<string, unknown> {
    const b = this.#o.buffer;
    return { ...this.#lossFields(loss), buffer_messages: b.buffer_messages, buffer_bytes: b.buffer_bytes };
  }

  /**
   * Which limit ran out: the one the driver's buffer names for its latest drop (`fullBy`; the count
   * when both bound), not read from how many it holds after — a drop the count started leaves fewer
   * when the bytes still bind, and Kafka's pending adds its send queue. Not named when the driver
   * does not say; `buffered`: what it holds now.
   */
  #limitFields(fullBy: DriverStats['bufferFullBy']): Record<string, unknown> {
    const b = this.#o.buffer;
    const limit = fullBy === 'messages' ? { limit: 'buffer_messages', limit_value: b.buffer_messages } : fullBy === 'bytes' ? { limit: 'buffer_bytes', limit_value: b.buffer_bytes } : {};
    return this.#o.pending === undefined ? limit : { ...limit, buffered: this.#o.pending() };
  }

  /** A loss (or one drop), without the buffer's size (not what a drop after send is about). */
  #lossFields(loss: EventLoss): Record<string, unknown> {
    const refused = (loss.refused ?? 0) > 0 ? { events_refused: loss.refused } : {};
    return { events_dropped: loss.count, hangups_dropped: loss.hangups, ...refused, since_us: loss.sinceUs, until_us: loss.untilUs, broker: this.#o.brokerStatus() };
  }
}

/** Two after-send drops' fields as one: counts added, the range widened. */
function summed(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
  return {
    events_dropped: n(a['events_dropped']) + n(b['events_dropped']),
    hangups_dropped: n(a['hangups_dropped']) + n(b['hangups_dropped']),
    ...(a['events_refused'] === undefined && b['events_refused'] === undefined ? {} : { events_refused: n(a['events_refused']) + n(b['events_refused']) }),
    since_us: Math.min(n(a['since_us']), n(b['since_us'])),
    until_us: Math.max(n(a['until_us']), n(b['until_us'])),
  };
}
