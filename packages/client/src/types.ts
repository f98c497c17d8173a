/** Public option and result types of the SDK. */
import type { ParkAudioMode, ParkStatus, ReplyEnvelope } from '@fsbus/contract';
import type { CurveKeys, Driver, DriverAuth, ReplayFrom, TlsOptions } from '@fsbus/transport';
import type { ClientError, ReplyError } from './errors.js';

/** @default 5000 ms: every request is bounded. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** @default 30000 ms for bgapi, which waits for FreeSWITCH to finish the job (originate: at least this, see originate()). */
export const DEFAULT_LONG_TIMEOUT_MS = 30_000;
/** @default 'nats://127.0.0.1:4222' */
export const DEFAULT_SERVER = 'nats://127.0.0.1:4222';
/** @default 1000 events buffered per stream before the oldest are dropped. */
export const DEFAULT_EVENT_BUFFER = 1000;

export interface ConnectOptions {
  /** A driver name of @fsbus/transport (`nats`, …), or a Driver instance (connected or not). @default 'nats' */
  driver?: string | Driver;
  /** Broker URL(s); a comma-separated string or a list; more than one fails over. @default DEFAULT_SERVER */
  servers?: string | readonly string[];
  /** The same as `servers` (the name SPEC and mod_event_agent users know); give one or the other. */
  url?: string | readonly string[];
  /** Subject prefix of the agents to talk to. @default 'freeswitch' */
  prefix?: string;
  /** Default request timeout. @default DEFAULT_TIMEOUT_MS */
  timeoutMs?: number;
  /** Client name shown by the broker. @default 'fsbus-client' */
  name?: string;
  auth?: DriverAuth;
  tls?: TlsOptions | boolean;
  /** ZeroMQ only: CURVE keys (`serverKey` = the agents' public key). */
  curve?: CurveKeys;
  /** First-connect bound. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * The root of this client's reply subjects (NATS) and of executeApp's completion subject (every
   * driver): with per-user permissions each user answers under its own (`_INBOX_alice`, allowed to
   * subscribe `_INBOX_alice.>` only), so no other client can read its replies. Dot-separated tokens
   * of `[A-Za-z0-9_-]`, at most 64 characters, not under `prefix`'s lanes. With a Driver instance,
   * give the driver the same `inboxPrefix`. @default '_INBOX'
   */
  inboxPrefix?: string;
}

export interface CallOptions {
  /** Run on this node (its direct lane) instead of any node. */
  node?: string;
  /** @default the client's timeoutMs (bgapi 30000; originate as long as FreeSWITCH may ring + 5 s, at least 30000: see originate()) */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Echoed in the reply. */
  correlationId?: string;
}

/** A reply envelope whose `data` has a known type. */
export type Reply<T = unknown> = ReplyEnvelope & { data: T };

export interface OriginateOptions {
  /** `user/1000`, `sofia/gateway/gw/123`, `loopback/7001`… */
  endpoint: string;
  /** Dialplan extension, or `&app(args)`. */
  extension: string;
  /** @default 'XML' */
  dialplan?: string;
  /** @default 'default' */
  context?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  /** Ring timeout in seconds (originate_timeout, 1–3600). @default FreeSWITCH's 60 */
  ringTimeoutS?: number;
  /**
   * Channel variables set on the new leg. `leg_timeout`, `originate_retries`,
   * `originate_retry_sleep_ms` and `originate_retry_min_period_ms` must be integers in FreeSWITCH's
   * ranges and lengthen the wait; the agent refuses an originate that could ring past 3600 s in all.
   */
  variables?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Preset channel uuid. One a live channel has: FreeSWITCH places the call under a uuid of its
   * own (the result's `uuid`, with this one as `requestedUuid`); `async` is refused by the agent
   * instead (FSBUS_ERR_BUS_INVALID_ARGUMENT at `forwardTo`). @default a random uuid chosen by the client
   */
  uuid?: string;
  /**
   * Fire and forget: resolves with the uuid asked for at once, no reply is awaited — the call's
   * uuid only if the originate succeeds; `forwardTo` tells the outcome.
   */
  async?: boolean;
  /**
   * A subject the agent also publishes the final reply to (`forward_to`): with `async`, the only
   * place the outcome (`+OK`, `-ERR USER_BUSY`…) is told. Checked before sending as the agent
   * checks it (a subject, not `$…`, not the agents' own). @default none
   */
  forwardTo?: string;
}

export interface OriginateResult {
  /** The call's uuid: the one asked for, or FreeSWITCH's own when that was in use (see `requestedUuid`). */
  uuid: string;
  /** Present only when FreeSWITCH placed the call under another uuid: the one asked for, which names another live call. */
  requestedUuid?: string;
  jobUuid: string;
  /** FreeSWITCH's BACKGROUND_JOB result (`+OK <uuid>`). */
  result: string;
  nodeId: string;
}

export interface ExecuteAppOptions {
  uuid: string;
  app: string;
  /** Passed verbatim. */
  args?: string;
  /** Channel variables set before the application runs. */
  vars?: Readonly<Record<string, string>>;
  /** Also resolve `complete` with the CHANNEL_EXECUTE_COMPLETE event. @default false */
  waitForComplete?: boolean;
  /** Bound on waiting for the completion. @default 60000 */
  completeTimeoutMs?: number;
}

export interface ExecuteAppResult<Complete = undefined> {
  applicationUuid: string;
  nodeId: string;
  /** With `waitForComplete`: the CHANNEL_EXECUTE_COMPLETE of this execution. */
  complete: Complete;
}

export interface GatherOptions {
  args?: string;
  /** Command-specific fields. */
  fields?: Readonly<Record<string, unknown>>;
  /** How long to wait for replies. @default the client's timeoutMs */
  timeoutMs?: number;
  /**
   * Stop once this many nodes replied, or once every node of this list did (`['fs-a', 'fs-b']`;
   * other nodes' replies are kept, and do not count). What was not met is on the result's
   * `missing` / `shortfall`. @default gather until the timeout
   */
  expect?: number | readonly string[];
  /** Only this node replies. */
  node?: string;
  signal?: AbortSignal;
}

/**
 * An answer to a gather that cannot be used: not an fsbus envelope (HTML, nothing, half an
 * envelope, bytes that are not UTF-8), or for statusAll() an envelope without a full status. Kept
 * with why, so that no node's answer is lost unseen.
 */
export interface BadReply {
  /** Where the gather went (`freeswitch.broadcast`): who answered is known only by `nodeId`. */
  readonly subject: string;
  /** The node the reply names (a string `node_id` in it), else undefined. */
  readonly nodeId: string | undefined;
  /** The reply's bytes as they arrived. */
  readonly data: Uint8Array;
  /** FSBUS_ERR_CLIENT_BAD_REPLY, saying what is wrong with it. */
  readonly error: ClientError;
}

/**
 * What gather() resolves with: every envelope (failures included), one per node (the first that
 * came), plus the answers that were not envelopes in `badReplies` and the number of later replies
 * of a node already heard in `duplicates` (a broker that delivered one twice). Both not
 * enumerable: the array compares, spreads and serializes as before.
 */
export type GatherResult<T = unknown> = Array<Reply<T>> & GatherOutcome & { readonly badReplies: readonly BadReply[]; readonly duplicates: number };

/**
 * Whether a gather's `expect` was met (on GatherResult and StatusAllResult, not enumerable). A
 * node answered if it sent anything naming it: a failure or an unreadable reply counts; a gather
 * that ends does not cancel the command on a node that had not answered yet (it may still run it).
 */
export interface GatherOutcome {
  /** With `expect` a list: its nodes that did not answer, in the list's order; else []. */
  readonly missing: readonly string[];
  /** How many nodes fewer than `expect` answered (a list: `missing.length`); 0 when met or without `expect`. */
  readonly shortfall: number;
}

/**
 * What statusAll() resolves with: the nodes' statuses, one per node; every answer that was not one
 * in `badReplies`; every node that answered with an error envelope (busy, shutting down) in
 * `failures`, as the ReplyError a request would throw; the later replies of a node already heard
 * in `duplicates`; among those, the statuses of other agents answering for a node in the list in
 * `otherAgents`; whether `expect` was met in `missing` / `shortfall` (all not enumerable).
 */
export type StatusAllResult = AgentStatus[] &
  GatherOutcome & {
    readonly badReplies: readonly BadReply[];
    readonly failures: readonly ReplyError[];
    readonly duplicates: number;
    /**
     * Two agents serving one node id (a frozen agent that resumed after a second started, a copied
     * config): the full statuses of the agents other than the listed one that answered for a node in
     * the list, each instance once, by node id then as they came — told apart by `instance_id` (an
     * older agent's, without one: `hostname` and `pid`). A copy of one agent's answer that the
     * broker delivered twice is not one. Also counted in `duplicates`. [] when none.
     */
    readonly otherAgents: readonly AgentStatus[];
  };

/** Park mode's audio modes and `dialplan.status` data: the contract's (@fsbus/contract park.ts). */
export type { ParkAudioMode, ParkStatus };

/** `agent.status` data (SPEC §3.4). */
export interface AgentStatus {
  version: string;
  node_id: string;
  uptime: number;
  driver: string;
  subject_prefix?: string;
  connected: boolean;
  /** What the agent's /readyz says (broker and FreeSWITCH ready, shared lanes joined unless cordoned); absent from older agents. */
  ready?: boolean;
  /** Why not ready, in /readyz's words (its `reason`); only while `ready` is false. */
  not_ready_reason?: string;
  broker: { status: string; reconnects: number; buffered_now: number };
  esl: { status: string; command_connections_ready: number; reconnects: number };
  counters: Record<string, number>;
  /** Whether the node serves the any-node lanes (absent from older agents). */
  shared_lanes?: { state: 'joined' | 'joining' | 'leaving' | 'left'; cordoned: boolean };
  park: Record<string, unknown>;
  [key: string]: unknown;
}

export interface EventsOptions {
  /** Only events of this node. */
  node?: string;
  /** Durable consumer name: the broker keeps the position (JetStream, …). */
  durable?: string;
  /** Replay from the stream (needs a stream): 'all', 'new', a sequence or a time. */
  from?: ReplayFrom;
  /** Stream name. @default `<PREFIX>_EVENTS`, the agent's default */
  stream?: string;
  /** Events held for a slow consumer; past it the oldest are dropped and counted. @default DEFAULT_EVENT_BUFFER */
  bufferSize?: number;
  /** Ends the iteration. */
  signal?: AbortSignal;
  /**
   * Called with each message that is not an fsbus event (skipped, counted in `stream.malformed`;
   * the stream goes on). A hook that throws ends the stream with its error.
   */
  onMalformed?: (message: MalformedEvent) => void;
  /**
   * Live streams: called when the broker connection is back after being lost while the stream was
   * open (counted in `stream.gaps`). The driver has restored the subscription, but what was
   * published meanwhile was never delivered: resync here (`show channels`…). Durable streams
   * (`durable`/`from`) keep their position across outages, but the stream's retention may remove
   * events before they are read: called then too, with `lost` (NATS, Kafka, RabbitMQ, Redis; see docs/client.md);
   * and when the broker lost the stream itself under the consumer (Redis restarted without
   * persistence): called without `lost`, as the number of events lost is unknown.
   * A hook that throws ends the stream with its error.
   */
  onGap?: (gap: StreamGap) => void;
}

/**
 * Events a stream missed. Live stream: a time it was open and its broker connection down (events
 * published then were missed). Durable stream: `lost`, the stream positions its retention removed
 * before they were read; `lostAt` and `restoredAt` are then both when that was found. Durable
 * stream without `lost`: the broker lost the stream under the consumer (Redis restarted without
 * persistence, NATS back on an empty store) — what it held unread is gone, how much is unknown;
 * `lostAt` is when the consumer's connection went, `restoredAt` when it read the new stream
 * (delivered from its start).
 */
export interface StreamGap {
  /**
   * Live stream: the last moment it is known to have missed nothing — its last message received
   * before the outage, or its start or its previous restore if none came since (a dying broker
   * takes the events on their way before the driver notices). Durable: see above.
   */
  readonly lostAt: Date;
  /** When it was back, with the stream's subscription restored. */
  readonly restoredAt: Date;
  /**
   * Durable streams: stream sequences `from`..`to` removed by retention before this consumer read
   * them (the next event delivered has a higher `sequence`). `count` messages of the stream were
   * removed there; with a pattern (or a stream of other subjects too) not all were for this
   * consumer, so it is at most what it lost.
   */
  readonly lost?: StreamLoss;
}

/** Stream positions lost to retention: `from`..`to` inclusive, `count` messages at most. */
export interface StreamLoss {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/** A message on an event subscription that is not an fsbus event payload. */
export interface MalformedEvent {
  /** The subject it arrived on. */
  readonly subject: string;
  /** Its bytes as they arrived. */
  readonly data: Uint8Array;
  /** Its position in the stream, when read from one (durable/from); it is acknowledged. */
  readonly sequence?: number;
  /** FSBUS_ERR_CLIENT_BAD_EVENT, saying what is wrong with it (`it is not JSON`, `no node_id, headers`). */
  readonly error: ClientError;
}
