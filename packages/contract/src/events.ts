/**
 * Event shape (SPEC §3.5) and the include/exclude filter. Pure: the agent feeds it what the
 * Event Socket delivered and publishes what comes out.
 */
import { EVENT_NAMES } from '@fsbus/esl';
import { nowMicros } from './envelope.js';

/** The CUSTOM subclass of an agent's goodbye, published once on a clean stop (docs/contract.md "Events"). */
export const AGENT_STOP_SUBCLASS = 'fsbus::agent_stop';
/** The goodbye's header naming the stopping agent's instance (agent.status `instance_id`): two agents under one node id differ by it. */
export const INSTANCE_ID_HEADER = 'FSBus-Instance-ID';
/** The CUSTOM subclass an agent publishes once, when it is first ready: events before it may be missing. */
export const AGENT_START_SUBCLASS = 'fsbus::agent_start';
/** The CUSTOM subclass an agent publishes when its FreeSWITCH event subscription is back after a loss. */
export const EVENTS_RESUMED_SUBCLASS = 'fsbus::events_resumed';
/**
 * The CUSTOM subclass an agent publishes once its broker is back after it dropped events (its
 * outgoing buffer full during an outage): how many, and between which timestamps.
 */
export const EVENTS_DROPPED_SUBCLASS = 'fsbus::events_dropped';
/** The agent's own notices (a loss or restart to resync after): Kafka sends each to every partition, the SDK hands out one. */
export const AGENT_NOTICE_SUBCLASSES: ReadonlySet<string> = new Set([AGENT_START_SUBCLASS, AGENT_STOP_SUBCLASS, EVENTS_DROPPED_SUBCLASS, EVENTS_RESUMED_SUBCLASS]);

export interface EventPayload {
  event_name: string;
  /** Microseconds since the epoch, from `Event-Date-Timestamp`. */
  timestamp: number;
  node_id: string;
  uuid?: string;
  headers: Record<string, string>;
  body?: string;
}

/** The parts of an EslEvent the payload needs (keeps the contract free of socket code). */
export interface EventSource {
  readonly name: string;
  readonly subclass?: string | undefined;
  readonly uuid?: string | undefined;
  readonly headers: ReadonlyMap<string, string>;
  readonly body?: string | undefined;
  /** One header without building `headers` (EslEvent reads it from the wire text). */
  getHeader?(name: string): string | undefined;
  /** The headers as a JSON object text, when the source has it cheaper than `headers` (EslEvent). */
  toJson?(): string;
}

/** The event's own time (µs, its Event-Date-Timestamp), as its payload carries it; now when it has none. */
export function eventTimestampUs(event: EventSource): number {
  const name = 'Event-Date-Timestamp';
  const ts = Number(event.getHeader !== undefined ? event.getHeader(name) : event.headers.get(name));
  return Number.isSafeInteger(ts) && ts > 0 ? ts : nowMicros();
}

export function buildEventPayload(event: EventSource, nodeId: string): EventPayload {
  // Built key by key so the JSON keeps the documented order.
  const payload: EventPayload = {
    event_name: event.name,
    timestamp: eventTimestampUs(event),
    node_id: nodeId,
  } as EventPayload;
  if (event.uuid !== undefined && event.uuid !== '') payload.uuid = event.uuid;
  payload.headers = Object.fromEntries(event.headers);
  if (event.body !== undefined && event.body !== '') payload.body = event.body;
  return payload;
}

/**
 * `JSON.stringify(buildEventPayload(event, nodeId))`, written as text around the event's own
 * headers JSON: on the agent's hot path an event's headers are never rebuilt as objects.
 * `timestampUs`: the payload's timestamp, when the caller read it already (the agent keeps it too).
 */
export function encodeEventPayload(event: EventSource, nodeId: string, timestampUs = eventTimestampUs(event)): string {
  let out = `{"event_name":${JSON.stringify(event.name)},"timestamp":${timestampUs},"node_id":${JSON.stringify(nodeId)}`;
  if (event.uuid !== undefined && event.uuid !== '') out += `,"uuid":${JSON.stringify(event.uuid)}`;
  out += `,"headers":${event.toJson?.() ?? JSON.stringify(Object.fromEntries(event.headers))}`;
  if (event.body !== undefined && event.body !== '') out += `,"body":${JSON.stringify(event.body)}`;
  return out + '}';
}

/** Include/exclude lists: names (`CHANNEL_ANSWER`), `ALL`, `CUSTOM` (every subclass) or `CUSTOM::<subclass>`. */
export interface EventFilterSpec {
  /** @default ['ALL'] */
  include?: readonly string[];
  /** @default [] */
  exclude?: readonly string[];
}

interface Parsed {
  all: boolean;
  names: Set<string>;
  anyCustom: boolean;
  subclasses: Set<string>;
}

function parseList(list: readonly string[]): Parsed {
  const out: Parsed = { all: false, names: new Set(), anyCustom: false, subclasses: new Set() };
  for (const raw of list) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry.toUpperCase().startsWith('CUSTOM::')) {
      out.subclasses.add(entry.slice('CUSTOM::'.length));
      continue;
    }
    const name = entry.toUpperCase();
    if (name === 'ALL') out.all = true;
    else if (name === 'CUSTOM') out.anyCustom = true;
    else out.names.add(name);
  }
  return out;
}

/** What to ask FreeSWITCH for: `event json <names…> [CUSTOM <subclasses…>]`, or ALL. */
export interface EventSubscriptionPlan {
  /** Arguments for `event json …`; empty means publish nothing (subscribe to nothing). */
  names: string[];
}

export class EventFilter {
  readonly #include: Parsed;
  readonly #exclude: Parsed;

  constructor(spec: EventFilterSpec = {}) {
    const include = spec.include === undefined || spec.include.length === 0 ? ['ALL'] : spec.include;
    this.#include = parseList(include);
    this.#exclude = parseList(spec.exclude ?? []);
  }

  /** Whether an event is published. Exclude wins over include. */
  matches(name: string, subclass?: string): boolean {
    const upper = name.toUpperCase();
    const ex = this.#exclude;
    if (ex.all) return false;
    if (upper === 'CUSTOM') {
      if (ex.anyCustom || (subclass !== undefined && ex.subclasses.has(subclass))) return false;
      const inc = this.#include;
      return inc.all || inc.anyCustom || (subclass !== undefined && inc.subclasses.has(subclass));
    }
    if (ex.names.has(upper)) return false;
    return this.#include.all || this.#include.names.has(upper);
  }

  /**
   * The narrowest Event Socket subscription that still delivers everything `matches` accepts.
   * FreeSWITCH cannot subscribe "every CUSTOM subclass except some", so ALL is used only when
   * every custom event is wanted; excluded names are then dropped locally.
   */
  plan(): EventSubscriptionPlan {
    const inc = this.#include;
    const ex = this.#exclude;
    if (ex.all) return { names: [] };
    const wantsAllCustom = (inc.all || inc.anyCustom) && !ex.anyCustom;
    if (inc.all && wantsAllCustom && ex.names.size === 0) return { names: ['ALL'] };
    if (wantsAllCustom) return { names: ['ALL'] };
    const base = inc.all ? EVENT_NAMES.filter((n) => n !== 'ALL' && n !== 'CUSTOM') : [...inc.names];
    const names = base.filter((n) => !ex.names.has(n));
    const subclasses = ex.anyCustom ? [] : [...inc.subclasses].filter((s) => !ex.subclasses.has(s));
    if (subclasses.length > 0) names.push('CUSTOM', ...subclasses);
    return { names };
  }
}
