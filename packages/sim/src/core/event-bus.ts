/**
 * Builds and fires events: the 13 core headers in FreeSWITCH's order, one Event-Sequence
 * counter for the whole core (sequence numbers are also consumed by events FreeSWITCH
 * creates but does not fire, e.g. CHANNEL_DATA for uuid_dump), and log lines.
 */
import type { CoreEvent, CoreLogLine } from './types.js';
import type { SimClock } from './clock.js';
import type { CallSite } from './constants.js';
import { gmtStamp, localStamp, logStamp } from './time-format.js';

export type Headers = Array<[string, string]>;

export interface CoreIdentity {
  readonly coreUuid: string;
  readonly hostname: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

const LEVEL_NAMES = ['CONSOLE', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

export class EventBus {
  private seq = 0;
  /** Date strings change once a second: cached for event bursts. */
  private dateSecond = -1;
  private dateLocal: [string, string] = ['Event-Date-Local', ''];
  private dateGmt: [string, string] = ['Event-Date-GMT', ''];
  /** Header pairs that never change are built once and shared by every event: never mutate a pair. */
  private readonly identityHeaders: ReadonlyArray<[string, string]>;
  private readonly eventListeners = new Set<(e: CoreEvent) => void>();
  private readonly logListeners = new Set<(l: CoreLogLine) => void>();

  constructor(
    readonly identity: CoreIdentity,
    readonly clock: SimClock,
    startSequence = 0,
  ) {
    this.seq = startSequence;
    this.identityHeaders = [
      ['Core-UUID', identity.coreUuid],
      ['FreeSWITCH-Hostname', identity.hostname],
      ['FreeSWITCH-Switchname', identity.hostname],
      ['FreeSWITCH-IPv4', identity.ipv4],
      ['FreeSWITCH-IPv6', identity.ipv6],
    ];
  }

  nextSequence(): number {
    return ++this.seq;
  }

  /** The 13 core headers, consuming one sequence number unless `sequence` is given. */
  coreHeaders(name: string, site: CallSite, micros = this.clock.nowMicros(), sequence?: number): Headers {
    const second = Math.floor(micros / 1_000_000);
    if (second !== this.dateSecond) {
      this.dateSecond = second;
      this.dateLocal = ['Event-Date-Local', localStamp(micros)];
      this.dateGmt = ['Event-Date-GMT', gmtStamp(micros)];
    }
    return [
      ['Event-Name', name],
      ...this.identityHeaders,
      this.dateLocal,
      this.dateGmt,
      ['Event-Date-Timestamp', String(micros)],
      ['Event-Calling-File', site.file],
      ['Event-Calling-Function', site.func],
      ['Event-Calling-Line-Number', String(site.line)],
      ['Event-Sequence', String(sequence ?? this.nextSequence())],
    ];
  }

  onEvent(listener: (e: CoreEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onLog(listener: (l: CoreLogLine) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /**
   * Fires a fully built header list. Name and sequence are read back from it unless given
   * (an event may carry an earlier event's core headers too, like uuid_broadcast's).
   */
  emit(headers: Headers, body?: string, meta?: { readonly name?: string; readonly sequence?: number; readonly subclass?: string | undefined }): CoreEvent {
    let name = meta?.name ?? '';
    // A given subclass (even undefined: sendevent's nameless CUSTOM) is not read back from the headers.
    const subclassGiven = meta !== undefined && 'subclass' in meta;
    let subclass = meta?.subclass;
    let uuid: string | undefined;
    let sequence = meta?.sequence ?? 0;
    for (const [k, v] of headers) {
      if (k === 'Event-Name' && name === '') name = v;
      else if (k === 'Event-Subclass' && !subclassGiven && subclass === undefined) subclass = v;
      else if (k === 'Unique-ID' && uuid === undefined) uuid = v;
      else if (k === 'Event-Sequence' && sequence === 0) sequence = Number(v);
    }
    const event: CoreEvent = { name, subclass, headers, body, uuid, sequence, frames: undefined };
    for (const l of this.eventListeners) l(event);
    return event;
  }

  /** Convenience: core headers + extra headers (after them) + body. */
  fireSimple(name: string, site: CallSite, extra: Headers, body?: string): CoreEvent {
    const headers = this.coreHeaders(name, site);
    for (const h of extra) headers.push(h);
    return this.emit(headers, body);
  }

  /**
   * One log line formatted like FreeSWITCH's (`<date> <cpu>% [LEVEL] file:line text`). `channel`:
   * the text channel when it is not the one derived from the line (see CoreLogLine.channel).
   */
  log(level: number, site: CallSite, text: string, uuid?: string, bare = false, channel?: number): void {
    if (this.logListeners.size === 0) return;
    const line = bare
      ? `${text}\n`
      : `${logStamp(this.clock.nowMicros())} 98.90% [${LEVEL_NAMES[level] ?? 'DEBUG'}] ${site.file}:${site.line} ${text}\n`;
    const entry: CoreLogLine = { level, file: site.file, func: site.func, line: site.line, uuid, text: line, channel };
    for (const l of this.logListeners) l(entry);
  }
}
