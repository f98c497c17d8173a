/** Prometheus metrics of one agent, in its own registry (several agents can share a process in tests). */
import { BusErrorCode } from '@fsbus/contract';
import type { PublishOutcome } from '@fsbus/transport';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LaneKind } from './dispatcher.js';

/** Every lane a request can come in on: typed as a record so that a new LaneKind cannot be left out. */
const REQUEST_LANES = Object.keys({ api: true, direct: true, broadcast: true, async: true } satisfies Record<LaneKind, true>);
/** The `result` label of fsbus_requests_total (Dispatcher: a reply's `success`). */
const REQUEST_RESULTS = ['ok', 'err'] as const;
/** Every PublishOutcome, the `result` label of fsbus_forward_to_total. */
const PUBLISH_OUTCOMES = Object.keys({ sent: true, buffered: true, dropped: true } satisfies Record<PublishOutcome, true>);
/** The `table` label of fsbus_channels_ended_unseen_total (call-control.ts). */
const UNSEEN_TABLES = ['execute_watches', 'parked'] as const;

/** Running totals the agent's parts own, read at scrape time. */
export interface AgentMetricSources {
  /** Undecodable frames from FreeSWITCH, every ESL connection (EslStats.protocolErrors). */
  eslProtocolErrors?: () => number;
  /** Connection attempts FreeSWITCH refused the password of. */
  eslAuthFailures?: () => number;
  eslRejections?: () => number;
  requestsExpired?: () => number;
  /** Frames of an unknown or missing Content-Type from FreeSWITCH, every ESL connection. */
  eslUnknownFrames?: () => number;
  /** execute_app completion watches dropped because the table was full. */
  executeWatchesEvicted?: () => number;
  /** execute_app completion watches waiting now. */
  executeWatchesPending?: () => number;
  /** Replies the driver dropped (DriverStats.repliesDropped). */
  repliesDropped?: () => number;
  /** NATS: store probes the events stream refused or could not take (the driver's `streamRefusals`). */
  streamRefusals?: () => number;
  /**
   * Requests not run: the driver's (no answer could reach their requester, or (Redis, Kafka,
   * ZeroMQ) their `expires` is not epoch milliseconds: DriverStats.requestsRefused), and the
   * dispatcher's for a reply address commands.reply_to does not list.
   */
  requestsRefused?: () => number;
  /** Broker reconnections (DriverStats.reconnects): mirrored under `fsbus_reconnects_total{target="broker"}`. */
  brokerReconnects?: () => number;
  /** Messages in the driver's outgoing buffer now (DriverStats.pending). */
  brokerBuffered?: () => number;
  /** The broker blocks the driver's connection now (RabbitMQ's resource alarm). */
  brokerBlocked?: () => boolean;
  /** The agent's `ready` (what /readyz says), read at scrape time. */
  ready?: () => boolean;
  /** The shared lanes (`<prefix>.api`, `<prefix>.cmd.async.>`) joined now. */
  sharedLanesJoined?: () => boolean;
  /** Cordoned by agent.cordon. */
  cordoned?: () => boolean;
}

/** What `fsbus_build_info` says: one series, value 1 (`node_id` comes with the default labels). */
export interface BuildInfo {
  version: string;
  driver: string;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'lane' | 'result'>;
  readonly requestErrors: Counter<'code'>;
  readonly requestDuration: Histogram<'result'>;
  readonly inFlight: Gauge;
  readonly handoffs: Counter;
  readonly forwardTo: Counter<'result'>;
  readonly eventsReceived: Counter;
  readonly eventsFiltered: Counter;
  readonly eventsPublished: Counter;
  readonly eventsBuffered: Counter;
  readonly eventsDropped: Counter;
  readonly clientsRefused: Counter;
  readonly logLinesDropped: Counter;
  readonly brokerErrors: Counter;
  readonly eslProtocolErrors: Counter;
  readonly eslAuthFailures: Counter;
  readonly eslRejections: Counter;
  readonly requestsExpired: Counter;
  readonly repliesDropped: Counter;
  readonly requestsRefused: Counter;
  readonly eslUnknownFrames: Counter;
  readonly channelsEndedUnseen: Counter<'table'>;
  readonly channelReconcileFailures: Counter;
  readonly executeWatchesEvicted: Counter;
  readonly streamRefusals: Counter;
  readonly executeWatchesPending: Gauge;
  readonly brokerConnected: Gauge;
  readonly eslConnected: Gauge;
  readonly reconnects: Counter<'target'>;
  readonly brokerBuffered: Gauge;
  readonly brokerBlocked: Gauge;
  readonly eventsRefused: Counter;
  readonly buildInfo: Gauge<'version' | 'driver'>;
  readonly ready: Gauge;
  readonly sharedLanesJoined: Gauge;
  readonly cordoned: Gauge;
  /** Set by NodeIdWatch (node-id-check.ts). */
  readonly nodeIdConflict: Gauge;
  /**
   * Messages other than events (forward_to copies, execute_app completions, async hand-offs) the
   * driver dropped: its own `dropped` total does not say what it dropped, so the agent counts these
   * and leaves the rest to the events.
   */
  forwardsDropped = 0;

  /**
   * `dropped` (events only, see forwardsDropped) and `refused` read the driver's running totals
   * (DriverStats); `logDropped` the log sink's (lines lost because stdout failed); `sources` the
   * other totals (absent ones read 0).
   */
  constructor(
    defaultLabels: Record<string, string>,
    dropped: () => number,
    refused: () => number,
    logDropped: () => number = () => 0,
    sources: AgentMetricSources = {},
    build: BuildInfo = { version: 'unknown', driver: 'unknown' },
  ) {
    const r = [this.registry];
    this.registry.setDefaultLabels(defaultLabels);
    this.requests = new Counter({ name: 'fsbus_requests_total', help: 'Command requests handled, by lane and result', labelNames: ['lane', 'result'], registers: r });
    this.requestErrors = new Counter({ name: 'fsbus_request_errors_total', help: 'Error replies, by FSBUS_ERR_* code', labelNames: ['code'], registers: r });
    this.requestDuration = new Histogram({
      name: 'fsbus_request_duration_seconds',
      help: 'Time from request received to reply sent',
      labelNames: ['result'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: r,
    });
    this.inFlight = new Gauge({ name: 'fsbus_commands_in_flight', help: 'Commands executing now', registers: r });
    this.handoffs = new Counter({ name: 'fsbus_request_handoffs_total', help: 'Requests on the shared lane passed to another node', registers: r });
    this.forwardTo = new Counter({ name: 'fsbus_forward_to_total', help: 'forward_to publications, by result', labelNames: ['result'], registers: r });
    this.eventsReceived = new Counter({ name: 'fsbus_events_received_total', help: 'Events received from FreeSWITCH', registers: r });
    this.eventsFiltered = new Counter({ name: 'fsbus_events_filtered_total', help: 'Events not published because of include/exclude', registers: r });
    this.eventsPublished = new Counter({ name: 'fsbus_events_published_total', help: 'Events handed to the broker driver (sent or buffered; one later evicted from the buffer also counts in fsbus_events_dropped_total)', registers: r });
    this.eventsBuffered = new Counter({ name: 'fsbus_events_buffered_total', help: 'Events held in the outgoing buffer while the broker was away (or behind on confirming what was written: NATS, AMQP, Redis, MQTT)', registers: r });
    this.eventsDropped = mirroredTotal(
      r,
      'fsbus_events_dropped_total',
      'Events lost or possibly lost: evicted from the full outgoing buffer, discarded at a stop with the broker away, larger than the buffer or the broker takes, refused by the broker, or sent but not confirmed when the connection went (possibly delivered: an upper bound)',
      dropped,
    );
    this.clientsRefused = mirroredTotal(r, 'fsbus_broker_clients_refused_total', 'Bus clients refused by client authentication (zmq: key not in curve client_keys)', refused);
    this.logLinesDropped = mirroredTotal(r, 'fsbus_log_lines_dropped_total', 'Log lines dropped because writing to stdout failed', logDropped);
    this.brokerErrors = new Counter({
      name: 'fsbus_broker_errors_total',
      help: 'Errors the broker driver reported (NATS: a publish or subscription refused by permissions, a slow consumer)',
      registers: r,
    });
    const zero = () => 0;
    this.eslProtocolErrors = mirroredTotal(
      r,
      'fsbus_esl_protocol_errors_total',
      'Frames from FreeSWITCH that could not be decoded (bad event bodies, replies nobody waited for, lost framing)',
      sources.eslProtocolErrors ?? zero,
    );
    this.eslAuthFailures = mirroredTotal(
      r,
      'fsbus_esl_auth_failures_total',
      'Connection attempts whose ESL password FreeSWITCH refused (each is retried)',
      sources.eslAuthFailures ?? zero,
    );
    this.eslRejections = mirroredTotal(
      r,
      'fsbus_esl_rejections_total',
      "Connection attempts FreeSWITCH turned away before the password (its event socket ACL; each is retried)",
      sources.eslRejections ?? zero,
    );
    this.requestsExpired = mirroredTotal(
      r,
      'fsbus_requests_expired_total',
      'Requests not run because they arrived after their requester stopped waiting (Kafka, Redis, ZeroMQ), and own requests left unsent for that reason',
      sources.requestsExpired ?? zero,
    );
    this.repliesDropped = mirroredTotal(
      r,
      'fsbus_replies_dropped_total',
      'Replies to requests the driver dropped (refused by the broker, lost with their connection, the outgoing buffer full); not sent again',
      sources.repliesDropped ?? zero,
    );
    this.streamRefusals = mirroredTotal(
      r,
      'fsbus_stream_refusals_total',
      'NATS JetStream: store probes (at most one event a second) the events stream refused (its limits, the account storage full) or could not take (the stream gone); live subscribers still got those events',
      sources.streamRefusals ?? zero,
    );
    this.requestsRefused = mirroredTotal(
      r,
      'fsbus_requests_refused_total',
      "Requests not run because no answer could reach their requester: a reply address the broker cannot take, outside the bus's reply space or not one commands.reply_to lists (Kafka: also a record on a lane's topic for another subject); or, on Redis, Kafka and ZeroMQ, whose expires is not epoch milliseconds (refused to the requester)",
      sources.requestsRefused ?? zero,
    );
    this.eslUnknownFrames = mirroredTotal(
      r,
      'fsbus_esl_unknown_frames_total',
      'Frames from FreeSWITCH with an unknown or missing Content-Type (ignored)',
      sources.eslUnknownFrames ?? zero,
    );
    this.channelsEndedUnseen = new Counter({
      name: 'fsbus_channels_ended_unseen_total',
      help: 'Tracked channels (execute_app watches, parked channels) found gone after the FreeSWITCH event connection came back, by table',
      labelNames: ['table'],
      registers: r,
    });
    this.channelReconcileFailures = new Counter({
      name: 'fsbus_channel_reconcile_failures_total',
      help: 'Channel lists (show channels) that failed after the FreeSWITCH event connection came back; retried at the next reconnect',
      registers: r,
    });
    this.executeWatchesEvicted = mirroredTotal(
      r,
      'fsbus_execute_watches_evicted_total',
      'execute_app completion watches dropped because the table was full (their completion is not forwarded)',
      sources.executeWatchesEvicted ?? zero,
    );
    const pending = sources.executeWatchesPending ?? zero;
    this.executeWatchesPending = new Gauge({
      name: 'fsbus_execute_watches_pending',
      help: 'execute_app completion watches waiting for their CHANNEL_EXECUTE_COMPLETE',
      registers: r,
      collect() {
        this.set(pending());
      },
    });
    this.brokerConnected = new Gauge({ name: 'fsbus_broker_connected', help: '1 when the broker connection is up', registers: r });
    this.eslConnected = new Gauge({ name: 'fsbus_esl_connected', help: '1 when the FreeSWITCH event connection is up', registers: r });
    // The broker's follow the driver's count, which sees a connection the broker closes again before
    // the driver is back (MQTT resending first) — a status event would miss those.
    const brokerReconnects = sources.brokerReconnects ?? zero;
    let brokerSeen = 0;
    this.reconnects = new Counter({
      name: 'fsbus_reconnects_total',
      help: 'Reconnections, by target (broker, esl)',
      labelNames: ['target'],
      registers: r,
      collect() {
        const now = brokerReconnects();
        if (now > brokerSeen) this.inc({ target: 'broker' }, now - brokerSeen);
        brokerSeen = now;
      },
    });
    // Present at 0 from the first scrape, so that rate() and increase() see the first one.
    for (const target of ['broker', 'esl']) this.reconnects.inc({ target }, 0);
    for (const lane of REQUEST_LANES) for (const result of REQUEST_RESULTS) this.requests.inc({ lane, result }, 0);
    for (const code of Object.values(BusErrorCode)) this.requestErrors.inc({ code }, 0);
    for (const result of PUBLISH_OUTCOMES) this.forwardTo.inc({ result }, 0);
    for (const table of UNSEEN_TABLES) this.channelsEndedUnseen.inc({ table }, 0);
    const buffered = sources.brokerBuffered ?? zero;
    this.brokerBuffered = new Gauge({
      name: 'fsbus_broker_buffered_messages',
      help: "Messages waiting in the broker driver's outgoing buffer now (broker away, or behind on confirming what was written)",
      registers: r,
      collect() {
        this.set(buffered());
      },
    });
    this.buildInfo = new Gauge({ name: 'fsbus_build_info', help: 'Always 1: the agent version and broker driver of this node', labelNames: ['version', 'driver'], registers: r });
    this.buildInfo.set({ version: build.version, driver: build.driver }, 1);
    // Read at scrape time: nothing to keep up to date on the paths that change the state.
    this.ready = stateGauge(r, 'fsbus_ready', '1 when the agent is ready (what /readyz says: broker connected, FreeSWITCH ready, shared lanes joined unless cordoned)', sources.ready);
    this.eventsRefused = new Counter({
      name: 'fsbus_events_refused_total',
      help: 'Of fsbus_events_dropped_total, events a queue refused at the broker (AMQP nack: a queue full with x-overflow reject-publish, or failing); the other queues bound to them may have taken them',
      registers: r,
    });
    this.brokerBlocked = stateGauge(r, 'fsbus_broker_blocked', '1 while the broker blocks the connection (RabbitMQ resource alarm: memory or disk): connected, but nothing published reaches it', sources.brokerBlocked);
    this.sharedLanesJoined = stateGauge(r, 'fsbus_shared_lanes_joined', '1 when this node serves the shared lanes (<prefix>.api, <prefix>.cmd.async.>)', sources.sharedLanesJoined);
    this.cordoned = stateGauge(r, 'fsbus_cordoned', '1 while the node is cordoned (agent.cordon): off the shared lanes, its own lane still served', sources.cordoned);
    this.nodeIdConflict = new Gauge({
      name: 'fsbus_node_id_conflict',
      help: '1 while another agent answers for this node id (asked every 30 s and after a broker reconnect): commands to the node go to either',
      registers: r,
    });
  }

  /** A forward_to copy (or execute_app completion) was handed to the driver. */
  forwarded(outcome: PublishOutcome): void {
    this.forwardTo.inc({ result: outcome });
    this.notEvent(outcome);
  }

  /** A message that is not an event was handed to the driver: its drop is not an event's. */
  notEvent(outcome: PublishOutcome): void {
    if (outcome === 'dropped') this.forwardsDropped++;
  }
}

/** A 0/1 gauge of a state someone else owns, read at each scrape (absent reads 0). */
function stateGauge(registers: Registry[], name: string, help: string, read: () => boolean = () => false): Gauge {
  return new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read() ? 1 : 0);
    },
  });
}

/**
 * A counter of a total someone else owns (the driver, the log sink): it catches up with that number
 * at each scrape. A dip (events_dropped is the driver's drops less what the agent counted as not
 * events, which can run ahead) is ignored: following it would count the same drops again.
 */
function mirroredTotal(registers: Registry[], name: string, help: string, read: () => number): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers,
    collect() {
      const now = read();
      if (now <= seen) return;
      this.inc(now - seen);
      seen = now;
    },
  });
}
