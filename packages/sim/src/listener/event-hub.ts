/**
 * mod_event_socket's event_handler and socket_logger: one subscription to the core, fanned out
 * to every live connection (inbound and outbound), each deciding what it keeps.
 */
import type { CoreEvent, CoreLogLine } from '../core/types.js';
import type { WireCore } from './types.js';

export interface HubMember {
  offerEvent(event: CoreEvent): void;
  offerLog(line: CoreLogLine): void;
}

export class EventHub {
  readonly #members = new Set<HubMember>();
  readonly #unsubscribe: Array<() => void>;
  #later: CoreLogLine[] = [];
  #laterHandle: NodeJS.Immediate | undefined;

  constructor(core: WireCore) {
    this.#unsubscribe = [
      core.onEvent((e) => {
        for (const m of this.#members) m.offerEvent(e);
      }),
      core.onLog((l) => this.log(l)),
    ];
  }

  get size(): number {
    return this.#members.size;
  }

  add(member: HubMember): void {
    this.#members.add(member);
  }

  remove(member: HubMember): void {
    this.#members.delete(member);
  }

  /** Offers a log line to every member. */
  log(line: CoreLogLine): void {
    for (const m of this.#members) m.offerLog(line);
  }

  /**
   * Logs a line of the listener itself (lost events, enqueue errors) on the next turn, as
   * FreeSWITCH's log thread would: never from inside the offer that caused it.
   */
  logLater(line: CoreLogLine): void {
    this.#later.push(line);
    this.#laterHandle ??= setImmediate(() => {
      this.#laterHandle = undefined;
      const lines = this.#later;
      this.#later = [];
      for (const l of lines) this.log(l);
    });
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
    this.#members.clear();
    if (this.#laterHandle !== undefined) clearImmediate(this.#laterHandle);
    this.#laterHandle = undefined;
    this.#later = [];
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * A CRIT line of mod_event_socket itself, formatted like FreeSWITCH's log lines. `channel` 0 is
 * SWITCH_CHANNEL_LOG, 3 SWITCH_CHANNEL_SESSION_LOG (with the session's uuid, if any).
 */
export function socketLogLine(func: string, line: number, message: string, channel: 0 | 3, uuid: string | undefined): CoreLogLine {
  const d = new Date();
  const micros = pad(d.getMilliseconds(), 3) + '000';
  const stamp =
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${micros}`;
  return { level: 2, file: 'mod_event_socket.c', func, line, uuid, text: `${stamp} 0.00% [CRIT] mod_event_socket.c:${line} ${message}\n`, channel };
}

// strerror(EAGAIN): what a full APR queue's trypush reports.
const EAGAIN = '[11] | [Resource temporarily unavailable]';

/** The lines FreeSWITCH 1.10.12 logs about a listener's full queues (event_handler, socket_logger). */
export const LostLines = {
  eventsLost: (lost: number, size: number, max: number, uuid: string | undefined) =>
    socketLogLine('event_handler', 392, `Lost [${lost}] events! Event Queue size: [${size}/${max}]`, 3, uuid),
  eventEnqueueError: (size: number, max: number) =>
    socketLogLine('event_handler', 397, `Event enqueue ERROR ${EAGAIN} | Queue size: [${size}/${max}] ${size >= max ? 'Max queue size reached' : ''}`, 0, undefined),
  eventKill: (lost: number, size: number, max: number) =>
    socketLogLine('event_handler', 401, `Killing listener because of too many lost events. Lost [${lost}] Queue size[${size}/${max}]`, 0, undefined),
  logsLost: (lost: number, size: number, max: number) =>
    socketLogLine('socket_logger', 183, `Lost [${lost}] log lines! Log Queue size: [${size}/${max}]`, 0, undefined),
  logEnqueueError: (size: number, max: number) =>
    socketLogLine('socket_logger', 188, `Log enqueue ERROR ${EAGAIN} Queue size: [${size}/${max}] ${size >= max ? 'Max queue size reached' : ''}`, 0, undefined),
  logKill: (lost: number, size: number, max: number) =>
    socketLogLine('socket_logger', 193, `Killing listener because of too many lost log lines. Lost [${lost}] Queue size [${size}/${max}]!`, 0, undefined),
} as const;

/** The disconnect-notice bodies of listeners killed for lost events or log lines. */
export const KILLED_EVENTS_TEXT = 'killed listener because of lost events\n';
export const KILLED_LOGS_TEXT = 'killed listener because of lost log lines\n';
