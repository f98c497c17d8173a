/**
 * The fsbus ZeroMQ wire, small enough for any language's ZeroMQ binding (docs/drivers/zmq.md):
 *
 *   events (PUB → SUB):     [subject, payload]            or, in mod_event_zmq mode, [FreeSWITCH JSON]
 *   client DEALER → agent ROUTER:  ["FSB1", kind, subject, correlation id, headers JSON, payload]
 *   agent ROUTER → client DEALER:  ["FSB1", kind, subject, correlation id, headers JSON, payload]
 *
 * kinds: REQ (wants a reply), ONE (no reply), HELLO (asks for the lanes) → LANES (JSON list),
 * REP (a reply), NOR (no lane of this agent serves the subject), FWD (serve this at another node:
 * the client re-sends the same request to the agent that has the lane).
 */

export const WIRE_VERSION = 'FSB1';
/**
 * Request header: when the requester stops waiting (epoch ms). A client's DEALER holds what it
 * sends to an agent that is away and delivers it when the agent is back; an agent skips a REQ
 * past this instead of running it late. Not shown to lane handlers.
 */
export const EXPIRES_HEADER = 'fsbus-expires';

/**
 * ZMTP heartbeats on every socket: a PING each interval; a connection with no traffic for the
 * timeout after one is dropped (a client dials again), and the peer is asked to do the same past
 * the TTL. Without them a peer that vanished without closing (host down, a firewall that forgot
 * the connection) holds the connection, and everything queued on it, until the kernel gives up.
 */
export interface Heartbeats {
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly heartbeatTimeToLive: number;
}

/** The heartbeat interval unless the driver's `livenessIntervalMs` says otherwise. @default 5000 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
/** libzmq's largest ZMQ_HEARTBEAT_TTL: the PING carries it in deciseconds, 16 bits. */
const MAX_HEARTBEAT_TTL_MS = 6_553_500;
const MAX_INT32 = 2_147_483_647;

/**
 * The socket options for a heartbeat `intervalMs` (> 0): the timeout two intervals, the TTL three.
 * The TTL travels in every PING (ZMTP 3.1): the peer drops the connection after three of this
 * side's intervals without traffic from it, whatever the peer's own interval, so two ends set
 * differently stay consistent — each gives up within its own timeout, or the other's TTL.
 * Whole milliseconds (libzmq's options are ints), within what libzmq takes: the TTL at least a
 * decisecond (below, libzmq sends none) and at most its 16-bit deciseconds.
 */
export function heartbeats(intervalMs: number = DEFAULT_HEARTBEAT_INTERVAL_MS): Heartbeats {
  const interval = Math.min(Math.ceil(intervalMs), MAX_INT32);
  return {
    heartbeatInterval: interval,
    heartbeatTimeout: Math.min(2 * interval, MAX_INT32),
    heartbeatTimeToLive: Math.min(Math.max(3 * interval, 100), MAX_HEARTBEAT_TTL_MS),
  };
}

/** Prefix of the marker subscriptions a subscriber uses to learn its subscriptions arrived. */
export const SUB_MARKER = '$fsbus.sub.';

/**
 * LANES header: how the agent's PUB sends events. `mod_event_zmq` (compatibility mode: one frame
 * of FreeSWITCH's JSON, no subject, no marker echo) is what fsbus clients cannot subscribe to;
 * absent (native, or an agent from before the header) is `[subject, payload]`.
 */
export const EVENTS_HEADER = 'fsbus-events';
export const MOD_EVENT_ZMQ = 'mod_event_zmq';

export const Kind = {
  REQ: 'REQ',
  ONE: 'ONE',
  HELLO: 'HELLO',
  LANES: 'LANES',
  REP: 'REP',
  NOR: 'NOR',
  FWD: 'FWD',
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface WireMessage {
  kind: Kind;
  subject: string;
  id: string;
  headers: Record<string, string> | undefined;
  data: Uint8Array;
}

export interface LaneInfo {
  subject: string;
  competing: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeWire(m: WireMessage): Buffer[] {
  return [
    Buffer.from(WIRE_VERSION),
    Buffer.from(m.kind),
    Buffer.from(m.subject),
    Buffer.from(m.id),
    Buffer.from(m.headers === undefined ? '' : JSON.stringify(m.headers)),
    Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
  ];
}

const KINDS = new Set<string>(Object.values(Kind));

/** Frames after the routing id (ROUTER) or as received (DEALER); undefined when not ours. */
export function decodeWire(frames: readonly Buffer[]): WireMessage | undefined {
  if (frames.length !== 6 || frames[0]!.toString() !== WIRE_VERSION) return undefined;
  const kind = frames[1]!.toString();
  if (!KINDS.has(kind)) return undefined;
  let headers: Record<string, string> | undefined;
  const h = frames[4]!;
  if (h.length > 0) {
    try {
      const parsed = JSON.parse(h.toString()) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) headers = parsed as Record<string, string>;
    } catch {
      return undefined;
    }
  }
  return { kind: kind as Kind, subject: frames[2]!.toString(), id: frames[3]!.toString(), headers, data: frames[5]! };
}

export function encodeLanes(lanes: readonly LaneInfo[]): Uint8Array {
  return enc.encode(JSON.stringify(lanes));
}

export function decodeLanes(data: Uint8Array): LaneInfo[] {
  try {
    const v = JSON.parse(dec.decode(data)) as unknown;
    return Array.isArray(v) ? v.filter((l): l is LaneInfo => typeof (l as LaneInfo).subject === 'string').map((l) => ({ subject: l.subject, competing: l.competing === true })) : [];
  } catch {
    return [];
  }
}

export interface ZmqEndpoints {
  /** ROUTER (commands), e.g. tcp://127.0.0.1:5555 */
  commands: string;
  /** PUB (events), e.g. tcp://127.0.0.1:5556 */
  events: string;
  /** mod_event_zmq compatibility: events as the bare FreeSWITCH JSON, one frame. */
  compat: boolean;
  /**
   * A subscriber that stops reading: `hold` (ZMQ_XPUB_NODROP: the PUB waits, every subscriber with
   * it, and the writer's queue drops and counts) or `drop` (libzmq drops that subscriber's events at
   * its high-water mark, as mod_event_zmq's PUB did: the others go on, the loss is not counted).
   * @default 'hold'
   */
  slow: SlowSubscriber;
  /** `?bind`: this driver's own endpoint (bound at connect); the others are its peers. */
  bind: boolean;
  /**
   * `?start_grace=<ms>`: a new PUB holds its events (in order, in the bounded send queue) until its
   * first subscription arrives or this long after the bind, whichever is first. A SUB that stayed
   * connected across an agent restart comes back on libzmq's reconnect timer (100 ms, more with
   * backoff), after the new agent's first events (its `fsbus::agent_start`); without the hold the
   * PUB drops them for nobody. 0: no hold. Absent when the URL does not say.
   * @default 1000 (DEFAULT_START_GRACE_MS)
   */
  startGraceMs?: number;
}

/** Covers libzmq's reconnect interval (100 ms) ten times over; a start with no consumer pays it once. */
export const DEFAULT_START_GRACE_MS = 1000;

export type SlowSubscriber = 'hold' | 'drop';

/** @default 5555: commands; events on the next port (5556, mod_event_zmq's). */
export const DEFAULT_COMMAND_PORT = 5555;

/**
 * `zmq://host:port` (or `tcp://`): commands on port, events on port+1 unless `?events=<port>`;
 * `?mode=mod_event_zmq` turns on the compatibility mode; `?slow=hold|drop` what a subscriber that
 * stops reading does to the others (ZmqEndpoints.slow); `?bind` marks the driver's own endpoint
 * (a peer of a mesh: it binds there at connect and connects to the other URLs); `?start_grace=<ms>`
 * how long a new PUB holds its events for a first subscriber (ZmqEndpoints.startGraceMs).
 */
export function parseZmqUrl(raw: string): ZmqEndpoints {
  const url = new URL(raw.includes('://') ? raw : `zmq://${raw}`);
  const host = url.hostname === '' ? '127.0.0.1' : url.hostname;
  const port = url.port === '' ? DEFAULT_COMMAND_PORT : Number(url.port);
  const events = url.searchParams.get('events');
  const eventsPort = events === null ? port + 1 : Number(events);
  if (!Number.isInteger(port) || !Number.isInteger(eventsPort)) throw new Error(`bad zmq URL ${raw}`);
  const slow = url.searchParams.get('slow') ?? 'hold';
  if (slow !== 'hold' && slow !== 'drop') throw new Error(`bad zmq URL ${raw}: slow must be hold or drop`);
  const grace = url.searchParams.get('start_grace');
  const startGraceMs = Number(grace);
  if (grace !== null && (grace === '' || !Number.isInteger(startGraceMs) || startGraceMs < 0)) throw new Error(`bad zmq URL ${raw}: start_grace must be milliseconds (an integer, 0 or more)`);
  return {
    commands: `tcp://${host}:${port}`,
    events: `tcp://${host}:${eventsPort}`,
    compat: url.searchParams.get('mode') === MOD_EVENT_ZMQ,
    slow,
    bind: url.searchParams.has('bind') && url.searchParams.get('bind') !== 'false',
    ...(grace === null ? {} : { startGraceMs }),
  };
}

/**
 * The fsbus event payload (SPEC §3.5) → what mod_event_zmq sent: FreeSWITCH's own JSON
 * serialization of the event (its headers, then `_body`). Non-event payloads pass unchanged.
 */
export function toModEventZmq(data: Uint8Array): Uint8Array {
  try {
    const v = JSON.parse(dec.decode(data)) as { headers?: unknown; body?: unknown };
    if (typeof v.headers !== 'object' || v.headers === null) return data;
    // The parsed object is ours: `_body` goes on it (a copy, then a field added to the copy, is slow on V8 11).
    const out = v.headers as Record<string, unknown>;
    if (typeof v.body === 'string') out['_body'] = v.body;
    return enc.encode(JSON.stringify(out));
  } catch {
    return data;
  }
}
