/**
 * A listener's bounded output: its event queue (with the notices and the goodbye that must follow
 * the events before them) and its log queue, each of FreeSWITCH's MAX_QUEUE_LEN. What does not
 * fit is counted and logged as FreeSWITCH logs it, and a listener that keeps missing
 * (MAX_MISSED) is dropped.
 */
import type { CoreEvent, CoreLogLine } from '../core/types.js';
import { KILLED_EVENTS_TEXT, KILLED_LOGS_TEXT, LostLines, type EventHub } from './event-hub.js';
import { Fifo } from './fifo.js';
import type { SessionLimits } from './types.js';
import { eventFrame, logFrame, type EventFormat } from './wire-frames.js';

type Queued = { readonly event: CoreEvent } | { readonly notice: string } | { readonly close: true };

export class OutputQueues {
  readonly #limits: SessionLimits;
  readonly #hub: EventHub;
  /** The listener missed too much: FreeSWITCH ends it with this text. */
  readonly #kill: (text: string) => void;
  readonly #queue = new Fifo<Queued>();
  #events = 0;
  readonly #logs = new Fifo<CoreLogLine>();
  #lostEvents = 0;
  #lostLogs = 0;

  constructor(limits: SessionLimits, hub: EventHub, kill: (text: string) => void) {
    this.#limits = limits;
    this.#hub = hub;
    this.#kill = kill;
  }

  get events(): number {
    return this.#events;
  }

  get logs(): number {
    return this.#logs.length;
  }

  /** Queues the event; false when it did not fit (counted, logged). `owner`: the listener's channel, for the log line. */
  offerEvent(event: CoreEvent, owner: string | undefined): boolean {
    const { queueLimit: max, maxMissed } = this.#limits;
    if (this.#events >= max) {
      this.#hub.logLater(LostLines.eventEnqueueError(this.#events, max));
      if (++this.#lostEvents > maxMissed) {
        this.#hub.logLater(LostLines.eventKill(this.#lostEvents, this.#events, max));
        this.#kill(KILLED_EVENTS_TEXT);
      }
      return false;
    }
    this.#queue.push({ event });
    this.#events++;
    if (this.#lostEvents > 0) {
      this.#hub.logLater(LostLines.eventsLost(this.#lostEvents, this.#events, max, owner));
      this.#lostEvents = 0;
    }
    return true;
  }

  /** Queues the log line; false when it did not fit (counted, logged). */
  offerLog(line: CoreLogLine): boolean {
    const { queueLimit: max, maxMissed } = this.#limits;
    if (this.#logs.length >= max) {
      this.#hub.logLater(LostLines.logEnqueueError(this.#logs.length, max));
      if (++this.#lostLogs > maxMissed) {
        this.#hub.logLater(LostLines.logKill(this.#lostLogs, this.#logs.length, max));
        this.#kill(KILLED_LOGS_TEXT);
      }
      return false;
    }
    this.#logs.push(line);
    if (this.#lostLogs > 0) {
      this.#hub.logLater(LostLines.logsLost(this.#lostLogs, this.#logs.length, max));
      this.#lostLogs = 0;
    }
    return true;
  }

  /** A notice (linger) after the events queued before it. */
  pushNotice(text: string): void {
    this.#queue.push({ notice: text });
  }

  /** The goodbye, after the events queued before it. */
  pushClose(): void {
    this.#queue.push({ close: true });
  }

  discard(what: 'events' | 'logs'): void {
    if (what === 'logs') {
      this.#logs.clear();
      return;
    }
    this.#queue.retain((q) => !('event' in q));
    this.#events = 0;
  }

  clear(): void {
    this.#queue.clear();
    this.#events = 0;
    this.#logs.clear();
  }

  /**
   * Log lines first, then events and notices in order, as frames to `write` until it returns false
   * (the socket is full: the rest waits). 'close' when the goodbye is reached, 'paused' when
   * `write` stopped it, 'empty' when all is written.
   */
  drain(format: EventFormat, write: (frame: Buffer) => boolean): 'empty' | 'paused' | 'close' {
    while (this.#logs.length > 0) if (!write(logFrame(this.#logs.shift()!))) return 'paused';
    while (this.#queue.length > 0) {
      const item = this.#queue.shift()!;
      if ('event' in item) {
        this.#events--;
        if (!write(eventFrame(item.event, format))) return 'paused';
      } else if ('notice' in item) {
        write(Buffer.from(item.notice));
      } else {
        return 'close';
      }
    }
    return 'empty';
  }
}
