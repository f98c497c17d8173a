/**
 * Typed bus events: the contract's event payload with header accessors for the common channel
 * fields, and the topic names (`channel.answer`, `custom.sofia.register`, `channel.>`) callers
 * subscribe with — typed from FreeSWITCH's own event list.
 */
import type { EventPayload } from '@fsbus/contract';
import type { EventName, HangupCause } from '@fsbus/esl';

type Dotted<S extends string> = S extends `${infer A}_${infer B}` ? `${A}.${Dotted<B>}` : S;

/** `CHANNEL_EXECUTE_COMPLETE` → `channel.execute.complete`, for every FreeSWITCH event name. */
export type EventTopicName = Dotted<Lowercase<Exclude<EventName, 'ALL' | 'CUSTOM'>>>;

/**
 * What `events()` takes: a topic (`channel.answer`), a CUSTOM subclass (`custom.sofia.register`),
 * a wildcard (`channel.>`, `channel.*`, `>`), or a FreeSWITCH name (`CHANNEL_ANSWER`).
 */
export type EventPattern =
  | EventTopicName
  | `custom.${string}`
  | `${string}.>`
  | `${string}.*`
  | '>'
  | Exclude<EventName, 'ALL'>;

export class BusEvent {
  /** The subject it arrived on (`freeswitch.events.channel.answer`). */
  readonly subject: string;
  readonly name: EventName | (string & {});
  readonly nodeId: string;
  /** Microseconds since the epoch (Event-Date-Timestamp). */
  readonly timestamp: number;
  readonly uuid: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** Stream sequence, for events read from a durable stream. */
  readonly sequence: number | undefined;

  constructor(subject: string, payload: EventPayload, sequence?: number) {
    this.subject = subject;
    this.name = payload.event_name;
    this.nodeId = payload.node_id;
    this.timestamp = payload.timestamp;
    this.uuid = payload.uuid;
    this.headers = payload.headers;
    this.body = payload.body;
    this.sequence = sequence;
  }

  header(name: string): string | undefined {
    return this.headers[name];
  }

  /** CUSTOM events' subclass (`sofia::register`). */
  get subclass(): string | undefined {
    return this.headers['Event-Subclass'];
  }
  get date(): Date {
    return new Date(Math.floor(this.timestamp / 1000));
  }
  get channelName(): string | undefined {
    return this.headers['Channel-Name'];
  }
  get channelState(): string | undefined {
    return this.headers['Channel-State'];
  }
  get callState(): string | undefined {
    return this.headers['Channel-Call-State'];
  }
  get answerState(): string | undefined {
    return this.headers['Answer-State'];
  }
  get direction(): string | undefined {
    return this.headers['Call-Direction'];
  }
  get callerIdName(): string | undefined {
    return this.headers['Caller-Caller-ID-Name'];
  }
  get callerIdNumber(): string | undefined {
    return this.headers['Caller-Caller-ID-Number'];
  }
  get destinationNumber(): string | undefined {
    return this.headers['Caller-Destination-Number'];
  }
  /** `Hangup-Cause`: a FreeSWITCH cause name (typed so editors complete them; any other string passes through). */
  get hangupCause(): HangupCause | (string & {}) | undefined {
    return this.headers['Hangup-Cause'];
  }
  /** The other leg of a bridge. */
  get otherLegUuid(): string | undefined {
    return this.headers['Other-Leg-Unique-ID'] ?? this.headers['Bridge-B-Unique-ID'];
  }
  get application(): string | undefined {
    return this.headers['Application'];
  }
  get applicationData(): string | undefined {
    return this.headers['Application-Data'];
  }
  get applicationUuid(): string | undefined {
    return this.headers['Application-UUID'];
  }
  get applicationResponse(): string | undefined {
    return this.headers['Application-Response'];
  }
  /** A channel variable (`variable_<name>` header). */
  variable(name: string): string | undefined {
    return this.headers[`variable_${name}`];
  }

  toJSON(): EventPayload {
    const out: EventPayload = { event_name: this.name, timestamp: this.timestamp, node_id: this.nodeId, headers: { ...this.headers } };
    if (this.uuid !== undefined) out.uuid = this.uuid;
    if (this.body !== undefined) out.body = this.body;
    return out;
  }
}

/** Parses an event payload; undefined for anything that is not one (never throws). */
export function decodeEvent(subject: string, data: Uint8Array, sequence?: number): BusEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<EventPayload>;
  if (typeof v.event_name !== 'string' || typeof v.node_id !== 'string' || typeof v.headers !== 'object' || v.headers === null) return undefined;
  const payload: EventPayload = {
    event_name: v.event_name,
    timestamp: microsOf(v.timestamp),
    node_id: v.node_id,
    headers: headerStrings(v.headers),
  };
  if (typeof v.uuid === 'string') payload.uuid = v.uuid;
  if (typeof v.body === 'string') payload.body = v.body;
  return new BusEvent(subject, payload, sequence);
}

/** Microseconds a Date can hold (±8.64e15 ms); anything else is 0, "no time given". */
function microsOf(t: unknown): number {
  return typeof t === 'number' && Number.isFinite(t) && Math.abs(t) <= 8.64e18 ? t : 0;
}

/**
 * Header values are strings (FreeSWITCH's are); a publisher other than the agent may send a number
 * or a boolean (kept, as text) or null or an object (left out), so a reader's string methods hold.
 */
function headerStrings(raw: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') out[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[name] = String(value);
  }
  return out;
}

/** NATS-style subject matching (`*` one token, `>` the rest), for client-side filtering: the transport's own. */
export { subjectMatches } from '@fsbus/transport';
