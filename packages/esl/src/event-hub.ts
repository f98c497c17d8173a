/**
 * Where the frames FreeSWITCH sends on its own go: events to listeners (by name, by CUSTOM
 * subclass, by channel), to bounded iterators and to the waiters of bgapi / execute; log/data,
 * notices and unknown frames to their listeners. Shared by the client and outbound sessions.
 */
import { EslAbortError, EslClosedError, EslInvalidArgumentError, EslTimeoutError, type EslError, type EslProtocolError } from './errors.js';
import type { EslEvent } from './event.js';
import type { ExecuteLoop } from './execute-loop.js';
import { EventIterator, type IterateOptions } from './event-iterator.js';
import type { DisconnectNoticeFrame, EslFrame, LogFrame, UnknownFrame } from './frame.js';
import type { EslLogger } from './logger.js';
import { reportListenerError } from './listener-error.js';
import { TypedEmitter } from './typed-emitter.js';
import { LogThrottle } from './log-throttle.js';
import { checkTimeoutMs } from './timeout-ms.js';
import { isEventName, listenerEventName } from './event-names.js';

/** Events every ESL endpoint emits. Any event name (`CHANNEL_ANSWER`) and `custom::<subclass>` work too. */
export interface EslHubEvents {
  event: [EslEvent];
  log: [LogFrame];
  'disconnect-notice': [DisconnectNoticeFrame];
  /** A frame with a Content-Type this library does not know; passed on, never dropped. */
  frame: [UnknownFrame];
  /** Every error emitted is one of the library's, with its `code`. */
  error: [EslError];
}

/**
 * Every signal name of an endpoint, each once: the type makes the list complete (a signal added to
 * the events interface and missing here fails to compile).
 */
export type SignalNames<Events> = { readonly [K in keyof Events & string]: true };

/** The signals every hub emits; the client and the session add their own. */
export const HUB_SIGNALS: SignalNames<EslHubEvents> = { event: true, log: true, 'disconnect-notice': true, frame: true, error: true };

export interface EslStats {
  requests: number;
  replies: number;
  timeouts: number;
  eventsReceived: number;
  /** Events dropped by full iterator queues. */
  droppedEvents: number;
  protocolErrors: number;
  reconnects: number;
}

/** The result events bgapi (BACKGROUND_JOB) and execute (the others; CHANNEL_EXECUTE with `loops` only) subscribe to for themselves. */
const SELF_SUBSCRIBED: ReadonlySet<string> = new Set(['BACKGROUND_JOB', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP_COMPLETE']);

/** May be async: a rejection is reported as 'error', as a throw is. */
export type ChannelListener = (event: EslEvent) => unknown;

interface Waiter {
  resolve(event: EslEvent): void;
  reject(err: Error): void;
  /** The channel the awaited event is about, to fail the wait when it hangs up first. */
  channel: string | undefined;
  /** An execute with `loops`: settled by the completion of its last run, not its first. */
  loop?: ExecuteLoop | undefined;
  /** An execute of an application FreeSWITCH runs on a hung-up channel (SAF_ZOMBIE_EXEC). */
  runsHungUp?: boolean | undefined;
  /** The application an execute waits for, named when the channel's hangup ends the wait. */
  app?: string | undefined;
}

export interface Wait {
  readonly promise: Promise<EslEvent>;
  cancel(): void;
  /** Ends the wait with `err` (the awaited event cannot come); nothing once settled. */
  fail(err: Error): void;
}

export abstract class EslEventHub<Events extends EslHubEvents & { [K in keyof Events]: unknown[] }> extends TypedEmitter<Events, [EslEvent]> {
  readonly stats: EslStats = { requests: 0, replies: 0, timeouts: 0, eventsReceived: 0, droppedEvents: 0, protocolErrors: 0, reconnects: 0 };
  protected readonly logger: EslLogger;
  readonly #eventQueueLimit: number;
  /**
   * Names an event is never emitted under: a peer sending `Event-Name: status` (or `error`, `event`…)
   * must not pose as the endpoint's own signal. Such an event still reaches 'event', channel listeners and iterators.
   */
  readonly #signals: ReadonlySet<string>;
  readonly #channelListeners = new Map<string, Set<ChannelListener>>();
  readonly #iterators = new Set<EventIterator>();
  readonly #jobWaiters = new Map<string, Waiter>();
  readonly #execWaiters = new Map<string, Waiter>();
  /** Executes with `loops` waiting: CHANNEL_EXECUTE may then be subscribed for the library itself. */
  #loopWaits = 0;
  /** Listener names already warned about (listenerAdded). */
  readonly #warnedNames = new Set<string>();
  /**
   * Undecodable frames the connection survives (a bad event body, an oversized event) are
   * logged once per burst (LogThrottle); each is still emitted as 'error' and counted in `stats.protocolErrors`.
   */
  readonly #protocolLog = new LogThrottle((fields, msg) => this.logger.warn(fields, msg), 'protocol error');
  /**
   * Events a full iterator queue drops: one line per burst (the first at once, the rest as one
   * line with `suppressed: n`), so that a slow consumer is heard without flooding the log.
   */
  readonly #dropLog = new LogThrottle((fields, msg) => this.logger.warn(fields, msg), 'events dropped: an iterator queue is full (a slow consumer)');

  constructor(logger: EslLogger, eventQueueLimit: number, signals: SignalNames<Events>) {
    super();
    this.logger = logger;
    this.#eventQueueLimit = eventQueueLimit;
    this.#signals = new Set(Object.keys(signals));
    this.setListenerErrorHandler((thrown, event) => reportListenerError(thrown, event, (err) => this.emit('error', err), this.logger));
  }

  /**
   * A FreeSWITCH event name in any case, with or without `SWITCH_EVENT_`, is that event
   * (`channel_answer` → CHANNEL_ANSWER), as `event`/`subscribe` read it (eventNameOf); a CUSTOM
   * subclass spelt `CUSTOM::<subclass>` (modesl's way, prefix in any case) is `custom::<subclass>`;
   * a signal ('log', not the LOG event) and any other name stay as given.
   */
  protected override listenerName(event: string): string {
    if (this.#signals.has(event)) return event;
    return listenerEventName(event);
  }

  /**
   * A listener under a name no event is emitted under is silent for ever: modesl's
   * `esl::event::NAME::*`, a misspelt name (`CHANNEL_CREATED`), `ALL` (a subscription word). Said
   * once per name (a name this library does not know may be a later FreeSWITCH's event type, so
   * the listener is kept). The names are those of the code, but a name built per call (modesl's
   * `esl::event::NAME::<uuid>`) must not grow the set: after WARNED_NAMES_MAX no more are said.
   */
  protected override listenerAdded(name: string): void {
    if (this.#signals.has(name) || name.startsWith('custom::') || (isEventName(name) && name !== 'ALL')) return;
    if (this.#warnedNames.has(name) || this.#warnedNames.size >= WARNED_NAMES_MAX) return;
    this.#warnedNames.add(name);
    this.logger.warn({ name, hint: listenerHint(name) }, 'listener name is no event name: no event is emitted under it');
  }

  /**
   * Calls `listener` for every event whose `Unique-ID` is `uuid`, until removed: the returned
   * function (or offChannel) removes it. Nothing removes it by itself, the channel's
   * CHANNEL_DESTROY included: an application watching many channels removes each when done.
   */
  onChannel(uuid: string, listener: ChannelListener): () => void {
    let set = this.#channelListeners.get(uuid);
    if (set === undefined) this.#channelListeners.set(uuid, (set = new Set()));
    set.add(listener);
    return () => {
      this.offChannel(uuid, listener);
    };
  }

  offChannel(uuid: string, listener: ChannelListener): this {
    const set = this.#channelListeners.get(uuid);
    if (set?.delete(listener) === true && set.size === 0) this.#channelListeners.delete(uuid);
    return this;
  }

  /** A bounded async iterator over the events received from now on (optionally filtered). */
  iterate(options: IterateOptions = {}): EventIterator {
    const it = new EventIterator(options, this.#eventQueueLimit, (i) => this.#dropped(i), (i) => this.#iterators.delete(i));
    if (!it.ended) this.#iterators.add(it); // an already aborted signal ended it at once
    return it;
  }

  [Symbol.asyncIterator](): EventIterator {
    return this.iterate();
  }

  #dropped(it: EventIterator): void {
    this.stats.droppedEvents++;
    // `dropped`: that iterator's total so far (the summary line carries the latest).
    this.#dropLog.hit({ dropped: it.dropped, limit: it.limit, dropped_events: this.stats.droppedEvents });
  }

  /** Emits 'error' if anyone listens, else logs: an unobserved error must not crash the process. */
  protected emitError(err: EslError): void {
    if (!this.emit('error', err)) this.logger.error({ err }, err.message);
  }

  protected handleProtocolError(err: EslProtocolError, fatal: boolean): void {
    this.stats.protocolErrors++;
    // Lost framing drops the connection: rare, always logged. The others can come by the thousand.
    if (fatal) this.logFatalProtocolError(err);
    else this.#protocolLog.hit({ err, fatal: false });
    // Logged above already: unheard, it is not logged a second time (as emitError would).
    this.emit('error', err);
  }

  /** Lost framing: the socket is being dropped. The client says so in its 'esl connection lost' line instead. */
  protected logFatalProtocolError(err: EslProtocolError): void {
    this.logger.warn({ err, fatal: true }, 'protocol error');
  }

  /** Frames that are not replies; auth/request and rude-rejection are the client's business. */
  protected handleFrame(frame: EslFrame): void {
    switch (frame.kind) {
      case 'event':
        this.dispatchEvent(frame.event);
        return;
      case 'log':
        this.emit('log', frame);
        return;
      case 'disconnect-notice':
        this.emit('disconnect-notice', frame);
        return;
      case 'unknown':
        this.emit('frame', frame);
        return;
      default:
        return;
    }
  }

  protected dispatchEvent(event: EslEvent): void {
    this.stats.eventsReceived++;
    const name = event.name;
    if (name === 'BACKGROUND_JOB') this.#settle(this.#jobWaiters, event.getHeader('Job-UUID'), event);
    else if (name === 'CHANNEL_EXECUTE_COMPLETE') this.#settle(this.#execWaiters, event.getHeader('Application-UUID'), event);
    else if (name === 'CHANNEL_EXECUTE' && this.#execWaiters.size > 0) this.#runStarted(event);
    else if (name === 'CHANNEL_HANGUP_COMPLETE') this.channelHangup(event, true);
    else if (name === 'CHANNEL_HANGUP') this.channelHangup(event, false);
    // bgapi/execute may subscribe to these for themselves (switch-wide, even on an outbound
    // session): the waiters above get them always, the user only what the user's own
    // subscription delivers (deliversToUser).
    // CHANNEL_EXECUTE only while an execute with loops may have subscribed to it for itself.
    if (SELF_SUBSCRIBED.has(name) && (name !== 'CHANNEL_EXECUTE' || this.#loopWaits > 0) && !this.deliversToUser(event)) return;
    this.emit('event', event);
    if (name !== '' && !this.#signals.has(name)) this.emit(name, event);
    const sub = event.subclass;
    if (sub !== undefined) this.emit(`custom::${sub}`, event);
    const uuid = event.uuid;
    if (uuid !== undefined) {
      const set = this.#channelListeners.get(uuid);
      if (set !== undefined) {
        for (const l of [...set]) {
          try {
            const returned = l(event);
            // Labelled only when there is a promise to watch: no string built per event.
            if (returned !== undefined && returned !== null) this.catchRejection(returned, `onChannel ${uuid}: ${name}`);
          } catch (thrown) {
            reportListenerError(thrown, `onChannel ${uuid}: ${name}`, (err) => this.emit('error', err), this.logger);
          }
        }
      }
    }
    for (const it of this.#iterators) if (it.matches(event)) it.push(event);
  }

  /** Whether the user's own subscription delivers `event` (one of the names bgapi/execute may subscribe to for themselves). */
  protected deliversToUser(_event: EslEvent): boolean {
    return true;
  }

  /**
   * Waits for the BACKGROUND_JOB with this Job-UUID. Register before sending the command. A
   * Job-UUID already awaited throws EslInvalidArgumentError: its result would reach one caller only.
   */
  protected waitForJob(jobUuid: string, label: string, timeoutMs: number, signal: AbortSignal | undefined): Wait {
    refusePending(this.#jobWaiters, 'jobUuid', jobUuid, 'BACKGROUND_JOB');
    return this.#wait(this.#jobWaiters, jobUuid, undefined, label, timeoutMs, signal);
  }

  /**
   * Waits for the CHANNEL_EXECUTE_COMPLETE whose Application-UUID is `eventUuid`; with `loop`, for
   * the one of the last run (a hangup after a completion then resolves with that completion).
   * `runsHungUp`: the application is one FreeSWITCH still runs on a hung-up channel.
   */
  protected waitForExecute(eventUuid: string, channel: string | undefined, app: string, label: string, timeoutMs: number, signal: AbortSignal | undefined, loop?: ExecuteLoop, runsHungUp = false): Wait {
    refusePending(this.#execWaiters, 'eventUuid', eventUuid, 'CHANNEL_EXECUTE_COMPLETE');
    return this.#wait(this.#execWaiters, eventUuid, channel, label, timeoutMs, signal, loop, runsHungUp, app);
  }

  /**
   * A CHANNEL_HANGUP (`complete` false) or CHANNEL_HANGUP_COMPLETE event arrived, before any
   * listener sees it. After the latter nothing more runs on the channel: its execute waits end.
   */
  protected channelHangup(event: EslEvent, complete: boolean): void {
    if (complete) this.rejectChannelWaits(event.uuid, false, event.getHeader('Hangup-Cause'));
  }

  /** The socket is gone: nothing awaited on it can arrive any more. */
  protected rejectWaiters(err: Error = new EslClosedError()): void {
    for (const map of [this.#jobWaiters, this.#execWaiters]) {
      const waiters = [...map.values()];
      map.clear();
      for (const w of waiters) w.reject(err);
    }
  }

  /** The end of this client or session: every iterator ends (after what is queued), held summary lines (protocol errors, dropped events) are written now. */
  protected closeHub(): void {
    for (const it of [...this.#iterators]) it.end();
    this.#protocolLog.flush();
    this.#dropLog.flush();
  }

  #settle(map: Map<string, Waiter>, key: string | undefined, event: EslEvent): void {
    if (key === undefined) return;
    const w = map.get(key);
    if (w === undefined) return;
    if (w.loop !== undefined && !w.loop.onComplete(event)) return;
    map.delete(key);
    w.resolve(event);
  }

  #runStarted(event: EslEvent): void {
    const key = event.getHeader('Application-UUID');
    if (key !== undefined) this.#execWaiters.get(key)?.loop?.onExecute(event);
  }

  /**
   * Ends the execute waits of a channel on which their application will not complete;
   * `keepZombies`: not those of applications FreeSWITCH still runs on a hung-up channel.
   * `hangupCause`: the channel's, when known — an unknown application (a typo) shows as
   * DESTINATION_OUT_OF_ORDER, not as a caller who hung up.
   */
  protected rejectChannelWaits(uuid: string | undefined, keepZombies: boolean, hangupCause?: string, cause?: Error): void {
    if (uuid === undefined) return;
    for (const [key, w] of this.#execWaiters) {
      if (w.channel !== uuid || (keepZombies && w.runsHungUp === true)) continue;
      this.#execWaiters.delete(key);
      // FreeSWITCH leaves a loop once the channel is gone: the last run that completed ends it.
      const last = w.loop?.last;
      if (last !== undefined) w.resolve(last);
      else w.reject(channelHungUpError(uuid, w.app, hangupCause, cause));
    }
  }

  #wait(map: Map<string, Waiter>, key: string, channel: string | undefined, label: string, timeoutMs: number, signal: AbortSignal | undefined, loop?: ExecuteLoop, runsHungUp = false, app?: string): Wait {
    checkTimeoutMs('timeoutMs', timeoutMs, label);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let waiter!: Waiter;
    let counted = loop !== undefined;
    if (counted) this.#loopWaits++;
    const cleanup = (): void => {
      if (counted) {
        counted = false;
        this.#loopWaits--;
      }
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      if (map.get(key) === waiter) map.delete(key);
    };
    const promise = new Promise<EslEvent>((resolve, reject) => {
      waiter = {
        channel,
        loop,
        runsHungUp,
        app,
        resolve: (e) => {
          cleanup();
          resolve(e);
        },
        reject: (err) => {
          cleanup();
          reject(err);
        },
      };
    });
    promise.catch(() => undefined); // observed by the caller later; never an unhandled rejection
    map.set(key, waiter);
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        this.stats.timeouts++;
        waiter.reject(new EslTimeoutError(label, timeoutMs));
      }, timeoutMs);
    }
    if (signal !== undefined) {
      if (signal.aborted) waiter.reject(new EslAbortError(label, signal.reason));
      else {
        onAbort = () => waiter.reject(new EslAbortError(label, signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
      }
    }
    return { promise, cancel: () => waiter.reject(new EslAbortError(label)), fail: (err) => waiter.reject(err) };
  }
}

/**
 * The rejection of an execute whose channel hung up first: `channel <uuid> hung up (<cause>)
 * before <app> completed`, the cause left out when unknown; `cause`: the socket's error, if any.
 */
export function channelHungUpError(uuid: string, app: string | undefined, hangupCause: string | undefined, cause?: Error): EslClosedError {
  const why = hangupCause === undefined ? '' : ` (${hangupCause})`;
  return new EslClosedError(`channel ${uuid} hung up${why} before ${app ?? 'the application'} completed`, { hangupCause, application: app, cause });
}

/** Listener names warned about at most, per client or session. */
const WARNED_NAMES_MAX = 64;

/** What to listen to instead of a name no event is emitted under. */
function listenerHint(name: string): string {
  if (name === 'ALL') return "ALL is a subscription word: listen to 'event' for every event";
  // modesl: esl::event::<NAME>::<uuid or *>, esl::event::CUSTOM::<subclass>, esl::event::**
  const modesl = /^esl::event::([^:]+)(?:::(.*))?$/i.exec(name);
  if (modesl !== null) {
    const [, type, rest] = modesl;
    if (type === '**' || type === '*') return "modesl's name: listen to 'event' for every event";
    if (type!.toUpperCase() === 'CUSTOM' && rest !== undefined) return `modesl's name: listen to 'CUSTOM::${rest}'`;
    const scoped = rest !== undefined && rest !== '*' ? `, or onChannel('${rest}', fn) for one channel` : '';
    return `modesl's name: listen to '${type!.toUpperCase()}'${scoped}`;
  }
  if (name.startsWith('esl::')) return "modesl's name: listen to the event's own name (CHANNEL_ANSWER), 'event', 'log' or 'frame'";
  return "not a FreeSWITCH event name this library knows (a misspelling?); a CUSTOM subclass is 'CUSTOM::<subclass>'";
}

/** A second waiter on one id would replace the first: the result would go to the wrong caller. */
function refusePending(map: ReadonlyMap<string, unknown>, what: string, id: string, event: string): void {
  if (map.has(id)) throw new EslInvalidArgumentError(`${what} ${id} is already pending on this connection: its ${event} would reach only one of the callers`);
}
