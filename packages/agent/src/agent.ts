/**
 * The agent: one FreeSWITCH node (Event Socket) ⇄ one broker, serving the bus contract.
 * start(): broker, a check that no other agent serves this node id, the dialplan endpoint and HTTP
 * (listening before any command lane is served), optional event stream, lanes, FreeSWITCH link;
 * once first ready, an fsbus::agent_start event (and fsbus::events_resumed after each FreeSWITCH
 * event connection loss). stop(): shared lanes off, drain in-flight commands (refusing new ones on
 * the node's own lanes), own lanes off, say goodbye (an
 * fsbus::agent_stop event), flush, close everything.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AGENT_STOP_SUBCLASS, buildSubjects, EventFilter, type Subjects } from '@fsbus/contract';
import type { EslClientStatus } from '@fsbus/esl';
import { createDriver, type Driver, type DriverStatus, type Subscription } from '@fsbus/transport';
import { pino, stdSerializers, type Logger } from 'pino';
import { CallControl, subscriptionNames } from './call-control.js';
import { agentStatusCommand } from './commands/agent-status.js';
import { apiCommand } from './commands/api.js';
import { createDialplanCommands } from './commands/dialplan.js';
import { createExecuteAppCommand } from './commands/execute-app.js';
import { hangupCommand } from './commands/hangup.js';
import { originateCommand } from './commands/originate.js';
import { CommandRegistry } from './commands/registry.js';
import { BrokerErrorLog } from './broker-error-log.js';
import { brokerAuthHint } from './config/broker-auth-hint.js';
import type { AgentConfig } from './config/schema.js';
import { configWarnings } from './config/start-warnings.js';
import { ParkManager } from './dialplan/park-manager.js';
import { Dispatcher, type LaneKind } from './dispatcher.js';
import { driverOptions, streamSpec } from './driver-options.js';
import { shutdownCutOffMs } from './config/shutdown-bound.js';
import { AgentError, AgentErrorCode, messageWithCausesOnce } from './errors.js';
import { EventPublisher } from './event-publisher.js';
import { FreeSwitchLink } from './freeswitch-link.js';
import { agentStartEvent, agentStopEvent, eventsDroppedEvent, eventsResumedEvent, type LifecycleEvent } from './lifecycle-events.js';
import { AgentHttpServer, listenError } from './http-server.js';
import { createStdoutSink, type LogSink } from './log-sink.js';
import { AgentMetrics } from './metrics.js';
import { ensureNodeIdFree, nodeIdWatchAsk, NodeIdWatch } from './node-id-check.js';
import { registerProcessMetrics } from './process-metrics.js';
import { cordonCommands, SharedLanes, type SharedLane } from './shared-lanes.js';
import { BufferedLoss } from './buffered-loss.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  /** @default pino JSON logs on stdout at config.log_level */
  logger?: Logger;
  /** Window of the lost-events lines and of telling a loss found only after send (buffered-loss.ts). @default DEFAULT_LOG_THROTTLE_MS */
  eventLossWindowMs?: number;
  /** How often the running agent asks whether another one answers for its node id (node-id-check.ts). @default NODE_ID_WATCH_INTERVAL_MS */
  nodeIdWatchMs?: number;
}

export type AgentStateListener = () => void;

export class Agent {
  readonly config: AgentConfig;
  readonly subjects: Subjects;
  readonly logger: Logger;
  readonly registry: CommandRegistry;
  readonly metrics: AgentMetrics;
  /** Park mode (dialplan.*) and its mod_xml_curl endpoint. */
  readonly park: ParkManager;
  readonly #callControl: CallControl;
  #driver: Driver | undefined;
  #link: FreeSwitchLink | undefined;
  #dispatcher: Dispatcher | undefined;
  #publisher: EventPublisher | undefined;
  #http: AgentHttpServer | undefined;
  #httpPort: number | undefined;
  #lanes: Subscription[] = [];
  /** The any-node lanes (api, cmd.async): served only while FreeSWITCH is ready and the node not cordoned. */
  readonly #sharedLanes: SharedLanes;
  #startedAt = Date.now();
  /** Said in agent.status: where an agent that finds its node id taken learns who holds it. */
  readonly #hostname = hostname();
  /** Said in agent.status with the pid: what tells two agents of one node id apart (NodeIdWatch). */
  readonly #instanceId = randomUUID();
  #nodeIdWatch: NodeIdWatch | undefined;
  readonly #nodeIdWatchMs: number | undefined;
  #state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #listeners = new Set<AgentStateListener>();
  #eslReconnects = 0;
  /** agent_start was due (first ready; published unless filtered out): once per process. */
  #startSaid = false;
  /** Our own stdout sink, when no logger was given. */
  #logSink: LogSink | undefined;
  /** Errors the driver reported (a publish the broker refused, a lost subscription…), see #onBrokerError. */
  #brokerErrors = 0;
  /** One line per burst of each cause (broker-error-log.ts). */
  readonly #brokerErrorLog: BrokerErrorLog;
  /** The credentials hint of a refusal the broker gave while away, for /readyz; cleared once connected. */
  #brokerRefusal: string | undefined;
  /** Events the outgoing buffer could not keep: said, and told to subscribers (buffered-loss.ts). */
  readonly #bufferedLoss: BufferedLoss;

  constructor(config: AgentConfig, options: AgentOptions = {}) {
    this.config = config;
    this.subjects = buildSubjects(config.subject_prefix);
    this.#nodeIdWatchMs = options.nodeIdWatchMs;
    if (options.logger !== undefined) this.logger = options.logger;
    else {
      this.#logSink = createStdoutSink();
      this.logger = pino({ level: config.log_level, base: { node_id: config.node_id }, serializers: { err: serializeError } }, this.#logSink.stream);
    }
    this.#brokerErrorLog = new BrokerErrorLog((fields, msg) => this.logger.error(fields, msg));
    this.#bufferedLoss = new BufferedLoss({
      logger: this.logger,
      buffer: config.broker,
      brokerStatus: () => this.brokerStatus,
      droppedTotal: () => this.#eventsDropped(),
      announce: (loss) => {
        if (!this.#startSaid) return false;
        this.#publishOwn(eventsDroppedEvent(config.node_id, AGENT_VERSION, loss), 'events_dropped');
        return true;
      },
      drained: () => this.#driver?.flush() ?? Promise.resolve(),
      pending: () => this.#driver?.stats().pending ?? 0,
      intervalMs: options.eventLossWindowMs,
    });
    this.metrics = new AgentMetrics(
      { node_id: config.node_id },
      () => this.#eventsDropped(),
      () => this.#driver?.stats().refused ?? 0,
      () => this.#logSink?.dropped ?? 0,
      {
        eslProtocolErrors: () => this.#link?.protocolErrors ?? 0,
        eslAuthFailures: () => this.#link?.authFailures ?? 0,
        eslRejections: () => this.#link?.rejections ?? 0,
        requestsExpired: () => this.#driver?.stats().expired ?? 0,
        eslUnknownFrames: () => this.#link?.unknownFrames ?? 0,
        executeWatchesEvicted: () => this.#callControl.completions.dropped,
        executeWatchesPending: () => this.#callControl.completions.pending,
        repliesDropped: () => this.#driver?.stats().repliesDropped ?? 0,
        streamRefusals: () => this.#driver?.stats().streamRefusals ?? 0,
        requestsRefused: () => this.#requestsRefused(),
        brokerReconnects: () => this.#driver?.stats().reconnects ?? 0,
        brokerBuffered: () => this.#driver?.stats().pending ?? 0,
        brokerBlocked: () => this.#driver?.stats().blocked !== undefined,
        ready: () => this.ready,
        sharedLanesJoined: () => this.#sharedLanes.status().state === 'joined',
        cordoned: () => this.#sharedLanes.status().cordoned,
      },
      { version: AGENT_VERSION, driver: config.driver },
    );
    const d = config.dialplan;
    this.park = new ParkManager({
      nodeId: config.node_id,
      http: d.port === undefined ? undefined : { host: d.host, port: d.port, path: d.path, user: d.user, password: config.secrets.dialplanPassword },
      stateFile: d.state_file,
      logger: this.logger.child({ component: 'dialplan' }),
    });
    this.#callControl = new CallControl({
      maxExecuteWatches: config.commands.max_execute_watches,
      park: this.park,
      metrics: this.metrics,
      logger: this.logger,
      onChange: () => this.#changed(),
    });
    this.registry = new CommandRegistry(apiCommand).register(agentStatusCommand).register(hangupCommand).register(originateCommand);
    this.registry.register(
      createExecuteAppCommand({
        nodeId: config.node_id,
        completions: this.#callControl.completions,
        beforeExecute: (uuid, api) => this.park.stopAudioBeforeExecute(uuid, api),
        sendmsg: (uuid, msg, opts) => this.#link?.sendmsg(uuid, msg, opts) ?? Promise.resolve(undefined),
        publish: (subject, data) => {
          this.metrics.forwarded(this.#driver?.publish(subject, data) ?? 'dropped');
        },
      }),
    );
    for (const h of createDialplanCommands(this.park)) this.registry.register(h);
    this.#sharedLanes = new SharedLanes(this.logger.child({ component: 'lanes' }), () => this.#changed(), config.commands.start_cordoned);
    for (const h of cordonCommands(this.#sharedLanes)) this.registry.register(h);
  }

  /** Called on every connection state change and after every event or command handled (tests and embedders wait on it). */
  onStateChange(listener: AgentStateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    if (!this.#startSaid && this.ready) this.#sayStarted();
    for (const l of this.#listeners) l();
  }

  /** FreeSWITCH's link changed state: the shared lanes follow its readiness (not on every event or command). */
  #linkChanged(): void {
    this.#sharedLanes.update(this.#link?.ready === true);
    this.#changed();
  }

  get brokerStatus(): DriverStatus | 'none' {
    return this.#driver?.status ?? 'none';
  }

  get eslStatus(): EslClientStatus | 'none' {
    return this.#link?.eventsStatus ?? 'none';
  }

  /**
   * Broker connected, FreeSWITCH reachable (events subscribed + at least one command connection)
   * and, unless cordoned, the shared lanes joined: a request on `<prefix>.api` finds this node.
   */
  get ready(): boolean {
    return this.#state === 'running' && this.#driver?.status === 'connected' && this.#link?.ready === true && this.#sharedLanes.settled;
  }

  /**
   * Resolves once `ready`, re-checked on each state change; rejects after `timeoutMs`, naming both
   * links' state. `start()` resolves before that: the links come up in the background.
   */
  whenReady(timeoutMs = 30_000): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`the agent did not get ready within ${timeoutMs} ms (broker ${this.brokerStatus}, esl ${this.eslStatus})`));
      }, timeoutMs);
      const off = this.onStateChange(() => {
        if (!this.ready) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /** Port of the metrics/health server, once started. */
  get httpPort(): number | undefined {
    return this.#httpPort;
  }

  get driver(): Driver | undefined {
    return this.#driver;
  }

  /** /readyz and agent.status (`ready`, `not_ready_reason`): `reason` says what is missing when not ready. */
  #readiness(): { ready: boolean; broker: string; esl: string; cordoned?: true; reason?: string } {
    // A cordoned node is ready (its links are up, its own lane served): said, for an operator's probe.
    const r = { ready: this.ready, broker: this.brokerStatus, esl: this.eslStatus, ...(this.#sharedLanes.status().cordoned ? { cordoned: true as const } : {}) };
    if (r.ready) return r;
    let reason: string | undefined;
    if (this.#state !== 'running') reason = `agent ${this.#state}`;
    else if (this.#driver?.status !== 'connected') reason = this.#brokerRefusal === undefined ? `broker ${this.brokerStatus}` : `broker ${this.brokerStatus}: ${this.#brokerRefusal}`;
    else reason = this.#link?.notReadyReason ?? (this.#sharedLanes.settled ? undefined : 'joining the shared lanes');
    return reason === undefined ? r : { ...r, reason };
  }

  /**
   * The driver's errors: over NATS a publish the broker refused (permissions violation), a
   * subscription it refused, a slow consumer. Which publish a refusal belongs to is not known, so
   * events_published still counts the refused event: counted here, and logged once per burst of each cause.
   */
  #onBrokerError(err: Error): void {
    this.#brokerErrors++;
    this.metrics.brokerErrors.inc();
    // A broker refusing the credentials after a reconnect names what to check, as at start; at
    // once, even when another error (the drop itself) came just before it.
    const hint = brokerAuthHint(this.config.driver, err);
    this.#brokerErrorLog.hit(err, hint);
    // A reconnect refused for the credentials: /readyz says so (as for a refused ESL password) until connected.
    if (hint !== undefined && this.#driver?.status !== 'connected') this.#brokerRefusal = hint;
    this.#changed();
  }

  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new AgentError(AgentErrorCode.START, `agent already ${this.#state}`));
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#startedAt = Date.now();
    const c = this.config;
    // Said once; the configuration stays valid.
    for (const w of configWarnings(c)) this.logger.warn(w.fields, w.message);
    try {
      // A park state file the agent cannot read or write is a configuration error: said before
      // anything connects.
      await this.park.openStateFile();
      const driver = await createDriver(c.driver, driverOptions(c, this.subjects.prefix, this.logger.child({ component: 'broker' })));
      this.#driver = driver;
      driver.on((e) => {
        if (e.type === 'error') {
          this.#onBrokerError(e.error);
          return;
        }
        this.metrics.brokerConnected.set(e.status === 'connected' ? 1 : 0);
        if (e.status === 'connected') this.#brokerRefusal = undefined;
        // What waited went out before 'connected': the loss is told after it, in order.
        if (e.status === 'connected') this.#bufferedLoss.tell();
        this.#changed();
      });
      await driver.connect();
      this.metrics.brokerConnected.set(1);
      // Before anything else is set up: a node id another agent holds is refused here.
      await ensureNodeIdFree({ driver, nodeId: c.node_id, subject: this.subjects.node(c.node_id), urls: c.broker.urls, logger: this.logger });
      // And while running: a frozen agent does not answer the check above (stops with the driver).
      const self = { hostname: this.#hostname, pid: process.pid, instance_id: this.#instanceId };
      this.#nodeIdWatch = new NodeIdWatch({ driver, nodeId: c.node_id, broadcast: this.subjects.broadcast, subject: this.subjects.node(c.node_id), urls: c.broker.urls, logger: this.logger, self, gauge: this.metrics.nodeIdConflict, intervalMs: this.#nodeIdWatchMs, goodbyes: this.subjects.event('CUSTOM', AGENT_STOP_SUBCLASS) });
      this.#nodeIdWatch.start();
      // The local servers listen before any command lane is served: a port in use or an address
      // not of this host fails the start before a command is taken (one taken then could run with
      // its reply lost). The dialplan endpoint first (run-agent.ts's hints count on it); /healthz
      // and /readyz answer 503 ('agent starting') until the start completes.
      await this.park.start();
      if (c.metrics.enabled) {
        this.#http = new AgentHttpServer(this.metrics.registry, {
          // A stop drains for up to drain_timeout_ms: alive meanwhile (only /readyz says 503).
          health: () => (this.#state === 'running' ? 'ok' : this.#state === 'stopping' ? 'stopping' : 'down'),
          ready: () => this.#readiness(),
        });
        registerProcessMetrics(this.metrics.registry);
        this.#httpPort = await this.#http.listen(c.metrics.port, c.metrics.host, (err) => this.logger.warn({ err }, 'metrics server error')).catch((err: unknown) => {
          throw listenError('metrics', c.metrics.host, c.metrics.port, err);
        });
      }
      if (c.events.stream.enabled) await driver.ensureStream(streamSpec(c, this.subjects));

      const filter = new EventFilter({ include: c.events.include, exclude: c.events.exclude });
      const publisher = new EventPublisher(filter, this.subjects, c.node_id, driver, this.metrics, this.#bufferedLoss.reporting, c.broker.buffer_messages, c.events.exclude);
      this.#bufferedLoss.attach(publisher);
      this.#publisher = publisher;
      const callControl = this.#callControl;
      callControl.startReconciling({
        api: (command) => this.#link?.api(command, { timeoutMs: c.commands.timeout_ms }) ?? Promise.resolve(undefined),
        eventsFlowing: () => this.#link?.eventsStatus === 'ready' && this.#link.subscription === 'confirmed',
      });
      const link = new FreeSwitchLink({
        host: c.esl.host,
        port: c.esl.port,
        password: c.secrets.eslPassword,
        ...(c.esl_password_env === undefined ? {} : { passwordEnv: c.esl_password_env }),
        poolSize: c.esl.pool_size,
        connectTimeoutMs: c.esl.connect_timeout_ms,
        maxPending: c.esl.max_pending,
        turnBatch: c.esl.turn_batch,
        livenessMs: c.esl.liveness_ms,
        eventNames: subscriptionNames(filter.plan().names, this.park.available),
        logger: this.logger.child({ component: 'esl' }),
        onEvent: (e) => {
          callControl.onEvent(e);
          // Consumers bound a restart's gap by their last event of this node before agent_start:
          // none of this process may come first (its events flow before it is ready).
          if (!this.#startSaid) this.#sayStarted();
          publisher.onEvent(e);
          if (this.#listeners.size > 0) this.#changed();
        },
        onStatus: (which, s) => {
          if (which === 'events') {
            this.metrics.eslConnected.set(s === 'ready' ? 1 : 0);
            callControl.eventsStatus(s);
          } else if (s === 'ready') callControl.poke('commands');
          this.#linkChanged();
        },
        onReconnect: () => {
          this.#eslReconnects++;
          this.metrics.reconnects.inc({ target: 'esl' });
        },
        onEventsResumed: (lostSinceUs) => this.#sayEventsResumed(lostSinceUs),
        onSubscription: (state) => {
          if (state === 'confirmed') callControl.poke('events');
          this.#linkChanged();
        },
        onAuth: () => this.#linkChanged(),
      });
      this.#link = link;
      this.#dispatcher = new Dispatcher({
        selfAsk: { ...nodeIdWatchAsk(c.node_id, this.#instanceId), identity: { node_id: c.node_id, hostname: this.#hostname, pid: process.pid, instance_id: this.#instanceId } },
        nodeId: c.node_id,
        subjects: this.subjects,
        registry: this.registry,
        denylist: c.commands.denylist,
        allowlist: c.commands.allowlist,
        forwardTo: c.commands.forward_to,
        replyTo: c.commands.reply_to,
        maxPayloadBytes: c.commands.max_payload_bytes,
        maxInFlight: c.commands.max_in_flight,
        timeoutMs: c.commands.timeout_ms,
        driver,
        link,
        metrics: this.metrics,
        logger: this.logger,
        audit: c.log_audit,
        status: () => this.status(),
        onChange: () => {
          if (this.#listeners.size > 0) this.#changed();
        },
      });
      this.#serveLanes(driver);
      link.start();
      await driver.flush();
      this.#state = 'running';
      const metrics = this.#httpPort === undefined ? {} : { metrics: { host: c.metrics.host, port: this.#httpPort } };
      // The version and the FreeSWITCH served: what a journal shows of the build that came up after an upgrade.
      this.logger.info({ version: AGENT_VERSION, subjects: this.#lanes.map((l) => l.subject), driver: c.driver, esl: `${c.esl.host}:${c.esl.port}`, ...metrics }, 'agent started');
      this.#changed();
    } catch (err) {
      await this.#teardown();
      this.#state = 'stopped';
      if (err instanceof AgentError) throw err;
      throw new AgentError(AgentErrorCode.START, `agent could not start: ${(err as Error).message}`, { cause: err });
    }
  }

  #serveLanes(driver: Driver): void {
    const s = this.subjects;
    const id = this.config.node_id;
    const lanes: Array<[LaneKind, string, boolean, string?]> = [
      ['api', s.api, true],
      ['direct', s.node(id), false],
      ['direct', s.apiNode(id), false],
      ['broadcast', s.broadcast, false],
      ['async', s.asyncWildcard, true, `${s.prefix}.cmd.async`],
    ];
    const shared: SharedLane[] = [];
    for (const [kind, subject, competing, group] of lanes) {
      const lane = { subject, competing, ...(group === undefined ? {} : { group }) };
      const handler: SharedLane['handler'] = (req) => this.#dispatcher!.handle(kind, req);
      // The competing lanes are the any-node ones: joined once FreeSWITCH is ready (shared-lanes.ts).
      if (competing) shared.push({ lane, handler });
      else this.#lanes.push(driver.serve(lane, handler));
    }
    this.#sharedLanes.attach(driver, shared);
  }

  /** Requests not run because no answer could reach their requester: the driver's, and those commands.reply_to refused. */
  #requestsRefused(): number {
    return (this.#driver?.stats().requestsRefused ?? 0) + (this.#dispatcher?.counters.replyToRefused ?? 0);
  }

  /** The agent.status snapshot (SPEC §3.4). */
  status(): Record<string, unknown> {
    const d = this.#dispatcher?.counters;
    // /readyz's rule and words: monitors read `ready` rather than rebuild it from the fields below.
    const r = this.#readiness();
    const e = this.#publisher?.counters;
    const ds = this.#driver?.stats();
    return {
      version: AGENT_VERSION,
      node_id: this.config.node_id,
      hostname: this.#hostname,
      pid: process.pid,
      instance_id: this.#instanceId,
      uptime: Math.floor((Date.now() - this.#startedAt) / 1000),
      driver: this.config.driver,
      subject_prefix: this.subjects.prefix,
      connected: this.#driver?.status === 'connected',
      ready: r.ready,
      ...(r.reason === undefined ? {} : { not_ready_reason: r.reason }),
      ...(this.#nodeIdWatch?.conflict === undefined ? {} : { node_id_conflict: this.#nodeIdWatch.conflict }),
      broker: { status: this.brokerStatus, reconnects: ds?.reconnects ?? 0, buffered_now: ds?.pending ?? 0, ...(ds?.blocked === undefined ? {} : { blocked: ds.blocked }) },
      esl: {
        status: this.eslStatus,
        events_subscription: this.#link?.subscription ?? 'none',
        auth: this.#link?.auth ?? 'unknown',
        command_connections_ready: this.#link?.commandsReady ?? 0,
        reconnects: this.#eslReconnects,
      },
      counters: {
        requests_received: d?.received ?? 0,
        requests_ok: d?.ok ?? 0,
        requests_failed: d?.failed ?? 0,
        in_flight: this.#dispatcher?.inFlight ?? 0,
        events_received: e?.received ?? 0,
        events_published: e?.published ?? 0,
        events_filtered: e?.filtered ?? 0,
        events_buffered: e?.buffered ?? 0,
        events_failed: e?.failed ?? 0,
        events_dropped: this.#eventsDropped(),
        forwards_dropped: this.metrics.forwardsDropped,
        replies_dropped: ds?.repliesDropped ?? 0,
        stream_refusals: ds?.streamRefusals ?? 0,
        requests_refused: this.#requestsRefused(),
        log_lines_dropped: this.#logSink?.dropped ?? 0,
        broker_errors: this.#brokerErrors,
        requests_expired: this.#driver?.stats().expired ?? 0,
        esl_protocol_errors: this.#link?.protocolErrors ?? 0,
        esl_unknown_frames: this.#link?.unknownFrames ?? 0,
        esl_auth_failures: this.#link?.authFailures ?? 0,
        esl_rejections: this.#link?.rejections ?? 0,
        ...this.#callControl.counters(),
        bytes_published: e?.bytes ?? 0,
        reconnects: (ds?.reconnects ?? 0) + this.#eslReconnects,
      },
      shared_lanes: this.#sharedLanes.status(),
      park: this.park.status(),
    };
  }

  /** The driver's drops minus those that were not events: replies, and what the agent knows it sent (forward_to copies, hand-offs). */
  #eventsDropped(): number {
    const s = this.#driver?.stats();
    return Math.max(0, (s?.dropped ?? 0) - (s?.repliesDropped ?? 0) - this.metrics.forwardsDropped);
  }

  /**
   * Graceful: stop taking requests, finish the in-flight ones, flush events, close. Idempotent:
   * every call resolves once the agent has stopped.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    // A start under way ends first (up or failed): stopping half of it would leave the rest running.
    if (this.#state === 'starting') await this.#starting?.catch(() => undefined);
    if (this.#state === 'stopped') return;
    const stopBegan = performance.now();
    this.#state = 'stopping';
    // Refused from now on (FSBUS_ERR_BUS_SHUTTING_DOWN, agent.status included): the node's own
    // lanes and the broadcast stay served while it drains, so `fsbus status` and the dashboard see
    // it stopping, not gone; the shared lanes are left at once, for the other nodes to take.
    this.#dispatcher?.stopAccepting();
    this.#changed();
    await this.#sharedLanes.close();
    // Three quarters of shutdown_timeout_ms from the stop's start bound the drain too: the rest is
    // for the replies of the commands cut off, flushing and closing, before run-agent gives up.
    const cutOffAt = stopBegan + shutdownCutOffMs(this.config);
    const drainMs = this.config.commands.drain_timeout_ms;
    const drainLeft = cutOffAt - performance.now();
    const bound = drainMs <= drainLeft ? undefined : 'shutdown_timeout_ms';
    await this.#dispatcher?.drain(
      bound === undefined ? drainMs : Math.max(0, drainLeft),
      bound === undefined ? `its drain deadline, ${drainMs / 1000} s` : `its shutdown deadline, ${this.config.shutdown_timeout_ms / 1000} s`,
    );
    await Promise.all(this.#lanes.map((l) => l.unsubscribe().catch(() => undefined)));
    this.#lanes = [];
    // Told each (FSBUS_ERR_BUS_TIMEOUT, may have run), their replies sent before anything else
    // (the goodbye, FreeSWITCH's connections closed); said once here, where the operator looks.
    const cutOff = this.#dispatcher?.cutOff ?? 0;
    if (cutOff > 0) {
      if (this.#driver?.status === 'connected') await this.#driver.flush().catch(() => undefined);
      const fields = { cut_off: cutOff, drain_timeout_ms: drainMs, ...(bound === undefined ? {} : { bound, shutdown_timeout_ms: this.config.shutdown_timeout_ms }) };
      this.logger.warn(fields, 'commands cut off at the drain deadline');
    }
    const held = await this.#bufferedLoss.awaitBroker(this.#driver, cutOffAt);
    // A loss only after send may still wait for its window: told now, while someone can hear it.
    if (this.#driver?.status === 'connected') this.#bufferedLoss.tell();
    this.#sayGoodbye();
    const droppedBefore = this.#eventsDropped();
    await this.#teardown();
    if (held !== undefined) this.#bufferedLoss.sayDiscarded(held, this.#eventsDropped() - droppedBefore);
    this.#state = 'stopped';
    this.logger.info({}, 'agent stopped');
    this.#logSink?.close();
    this.#changed();
  }

  /**
   * Publishes the goodbye event once, before the link and the driver close (the teardown's flush
   * sends it). Best effort and synchronous: it never holds or fails the stop. No publisher means
   * the broker never came up (start failed): nothing to say, and no one to say it to.
   */
  #sayGoodbye(): void {
    const publisher = this.#publisher;
    const driver = this.#driver;
    if (publisher === undefined || driver === undefined) return;
    const goodbye = agentStopEvent(this.config.node_id, AGENT_VERSION, this.#instanceId);
    if (!publisher.acceptsOwn(goodbye)) return;
    // Buffered now, it would be dropped by the close that follows.
    if (driver.status !== 'connected') {
      this.logger.warn({ broker: driver.status }, 'goodbye event not sent: the broker is not connected');
      return;
    }
    try {
      if (publisher.publishOwn(goodbye) === 'dropped') this.logger.warn({}, 'goodbye event not sent: the outgoing buffer is full');
    } catch (err) {
      this.logger.warn({ err }, 'goodbye event not sent');
    }
  }

  /** Once, when first ready or before its first FreeSWITCH event: consumers resync this node from here. */
  #sayStarted(): void {
    this.#startSaid = true;
    this.#publishOwn(agentStartEvent(this.config.node_id, AGENT_VERSION), 'agent_start');
  }

  /**
   * FreeSWITCH's events since `lostSinceUs` were never received. Buffered like any event while the
   * broker is away. Before agent_start there is nothing to say: that one already means "resync".
   */
  #sayEventsResumed(lostSinceUs: number): void {
    if (!this.#startSaid) return;
    this.#publishOwn(eventsResumedEvent(this.config.node_id, AGENT_VERSION, lostSinceUs), 'events_resumed');
  }

  #publishOwn(event: LifecycleEvent, what: string): void {
    try {
      if (this.#publisher?.publishOwn(event) === 'dropped') this.logger.warn({}, `${what} event not sent: the outgoing buffer is full`);
    } catch (err) {
      this.logger.warn({ err }, `${what} event not sent`);
    }
  }

  /** Writes the log lines still batched, and later ones at once: for an exit that does not wait for stop(). */
  flushLog(): void {
    this.#logSink?.close();
  }

  async #teardown(): Promise<void> {
    for (const l of this.#lanes) await l.unsubscribe().catch(() => undefined);
    await this.#sharedLanes.close();
    this.#lanes = [];
    this.#callControl.close();
    await this.#link?.close();
    await this.park.stop();
    await this.#driver?.flush().catch(() => undefined);
    await this.#driver?.close();
    await this.#http?.close();
    // What the rate-limited lines still hold is written now, not by a timer after the stop.
    this.#brokerErrorLog.flush();
    this.#bufferedLoss.flush();
    this.#callControl.flushLog();
    this.#dispatcher?.flushLog();
  }
}

/** pino's err serializer, each cause's message said once (see messageWithCausesOnce). */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = stdSerializers.err(err);
  out.message = messageWithCausesOnce(err);
  return out;
}
