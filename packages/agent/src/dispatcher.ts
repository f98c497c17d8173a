/**
 * One request, start to finish: parse and validate (SPEC §3.3 order), route by node_id, bound
 * concurrency, run the command, wrap the result in the envelope, reply, forward_to, audit, count.
 * A bad request never throws out of here and never goes unanswered (unless async).
 */
import {
  BusError,
  BusErrorCode,
  clipText,
  CORRELATION_ID_HEADER,
  encodeReply,
  errorReply,
  forwardToProblem,
  leadingVerb,
  MAX_COMMAND_TIMEOUT_MS,
  parseRequest,
  successReply,
  type BusRequest,
  type RequestHints,
  type Subjects,
  verbList,
} from '@fsbus/contract';
import { setMaxListeners } from 'node:events';
import { EslQueueFullError, LogThrottle } from '@fsbus/esl';
import type { Driver, PublishOptions, ServeRequest } from '@fsbus/transport';
import type { Logger } from 'pino';
import { eslFailure, NOT_CONNECTED, withUnavailableCause } from './commands/esl-failure.js';
import type { CommandContext, CommandHandler, CommandPolicy, CommandRegistry, CommandResult } from './commands/registry.js';
import type { FreeSwitchLink } from './freeswitch-link.js';
import { forwardToAllowed, forwardToNotListed } from './forward-to-policy.js';
import { REPLY_TO_REFUSED_LOG, replyToAllowed } from './reply-to-policy.js';
import { asyncHandoff, nodeUnavailable, relayHandoff } from './handoff.js';
import type { AgentMetrics } from './metrics.js';

export type LaneKind = 'api' | 'direct' | 'broadcast' | 'async';

/** Upper bound of a request's own `timeout_ms`, unless the command itself needs longer (see commandTimeoutMs); the contract's, so its request schema says it. */
export { MAX_COMMAND_TIMEOUT_MS };

/**
 * How long the agent gives a command: the request's `timeout_ms`, else what the command says it
 * needs, else the configured default — at most MAX_COMMAND_TIMEOUT_MS, or what the command needs
 * when that is more (an originate ringing for 600 s waits 605 s: cut at 300 s it would report a
 * timeout while the call still rings).
 */
export function commandTimeoutMs(requested: number | undefined, needed: number | undefined, configured: number): number {
  return Math.min(requested ?? needed ?? configured, Math.max(MAX_COMMAND_TIMEOUT_MS, needed ?? 0));
}

/** Characters of a refusal's message kept on the audit line when no requester is told it. */
const MAX_REASON_CHARS = 256;

/** At most one warning per this many ms while FreeSWITCH's connections are full. */
const QUEUE_FULL_WARN_INTERVAL_MS = 10_000;

export interface DispatcherOptions {
  nodeId: string;
  subjects: Subjects;
  registry: CommandRegistry;
  denylist: readonly string[];
  allowlist: readonly string[];
  /** `commands.forward_to`: the subject patterns a forward_to must match; empty, any the contract allows. */
  forwardTo?: readonly string[];
  /** `commands.reply_to`: the patterns a request's reply address must match (nats, mqtt); empty, any the driver takes. */
  replyTo?: readonly string[];
  maxPayloadBytes: number;
  maxInFlight: number;
  timeoutMs: number;
  driver: Driver;
  link: FreeSwitchLink;
  metrics: AgentMetrics;
  logger: Logger;
  /** The audit line of each command (config `log_audit`). @default true */
  audit?: boolean;
  status(): Record<string, unknown>;
  /** Called when a command starts or ends (in-flight count changed). */
  onChange?: () => void;
  /**
   * This agent's node-id watch ask (node-id-check.ts), as sent: on the broadcast lane it is
   * answered with `identity` and not counted, not audited — not a command anyone sent.
   */
  selfAsk?: { bytes: Uint8Array; correlationId: string; identity: Record<string, unknown> } | undefined;
}

/** A command (or a relayed hand-off) awaited: what a stop's deadline cuts off. */
interface Waiting {
  /** The deadline that cut it off (`its drain deadline, 10 s`), once it did. */
  cut: string | undefined;
  /** Ends the wait at once (the cut-off's last resort, for a wait that does not heed the abort). */
  settle(): void;
}

/** What an awaited command or hand-off got when the cut-off ended its wait itself. */
const CUT = Symbol('cut off');

export interface DispatcherCounters {
  received: number;
  ok: number;
  failed: number;
  /** Requests not run for a reply address commands.reply_to does not list: not received, like those the driver refuses. */
  replyToRefused: number;
}

export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly counters: DispatcherCounters = { received: 0, ok: 0, failed: 0, replyToRefused: 0 };
  #inFlight = 0;
  /** Local commands running (agent.status, agent.cordon): not in flight to FreeSWITCH, but a stop waits for their reply. */
  #local = 0;
  /** Hand-offs relayed and waiting for the named node's reply (not commands: no FreeSWITCH connection held). */
  #relaying = 0;
  #idleWaiters: Array<() => void> = [];
  #accepting = true;
  /** Queue-full refusals since the last warning, and when that was (rate-limited log). */
  #queueFull = { count: 0, warnedAt: Number.NEGATIVE_INFINITY };
  /** Commands FreeSWITCH did not answer in time: else said only to each requester (FSBUS_ERR_BUS_TIMEOUT). */
  #timedOut = 0;
  readonly #slowLog: LogThrottle;
  /** Commands refused past max_in_flight: else said only to each requester and in the audit. */
  #busyRefused = 0;
  readonly #busyLog: LogThrottle;
  /** Hand-offs refused past max_in_flight relays awaiting their node: logged the same way. */
  #relayBusyRefused = 0;
  readonly #relayBusyLog: LogThrottle;
  /** Requests refused for their reply address: whoever sends requests can send these by the thousand. */
  readonly #replyToLog: LogThrottle;
  /** Commands and relayed hand-offs awaited now: a stop's deadline cuts them off; and how many were. */
  readonly #awaited = new Set<Waiting>();
  #cutOff = 0;
  /** Aborted at a stop's deadline: every wait on FreeSWITCH ends then, so each command is answered at once. */
  readonly #stopWaiting = new AbortController();
  /** The verb lists lowercased once: what requests are matched against and agent.status shows. */
  readonly #policy: CommandPolicy;
  readonly #isBuiltin = (command: string): boolean => this.#o.registry.isBuiltin(command);
  /** The agent's snapshot and the policy this dispatcher applies (agent.status). */
  readonly #status = (): Record<string, unknown> => ({ ...this.#o.status(), command_policy: this.#policy });

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#policy = Object.freeze({ denylist: verbList(options.denylist), allowlist: verbList(options.allowlist) });
    this.#slowLog = new LogThrottle((fields, msg) => options.logger.warn(fields, msg), 'FreeSWITCH slow: commands timed out');
    this.#busyLog = new LogThrottle((fields, msg) => options.logger.warn(fields, msg), 'commands refused as busy: commands.max_in_flight reached');
    this.#relayBusyLog = new LogThrottle((fields, msg) => options.logger.warn(fields, msg), "hand-offs refused as busy: commands.max_in_flight hand-offs awaiting their node's reply");
    this.#replyToLog = new LogThrottle((fields, msg) => options.logger.warn(fields, msg), REPLY_TO_REFUSED_LOG);
    // One listener per request waiting on FreeSWITCH (up to max_in_flight): not a leak.
    setMaxListeners(0, this.#stopWaiting.signal);
  }

  /** What the rate-limited lines still hold, written now (the stop). */
  flushLog(): void {
    this.#slowLog.flush();
    this.#busyLog.flush();
    this.#relayBusyLog.flush();
    this.#replyToLog.flush();
  }

  /** Bus commands running on FreeSWITCH now (agent.status `counters.in_flight`, /metrics fsbus_commands_in_flight); not live calls. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Commands the stop's drain deadline cut off (told so instead of a lost connection). */
  get cutOff(): number {
    return this.#cutOff;
  }

  /**
   * Stops taking commands: from now on each is refused FSBUS_ERR_BUS_SHUTTING_DOWN, agent.status
   * included (what `fsbus status` and the dashboard show of a stopping node).
   */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /**
   * Stops taking commands; resolves once the in-flight ones, the local ones and the relayed
   * hand-offs are done. At `timeoutMs` those still waiting are cut off: each answered at once,
   * FSBUS_ERR_BUS_TIMEOUT, `deadline` naming the bound; it resolves once their replies are handed
   * to the driver.
   */
  drain(timeoutMs: number, deadline = `its drain deadline, ${timeoutMs / 1000} s`): Promise<void> {
    this.#accepting = false;
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const a of this.#awaited) a.cut = deadline;
        // Synchronous: each wait on FreeSWITCH fails now, its command's result (an originate's
        // uuid and job) made within this turn's microtasks.
        this.#stopWaiting.abort();
        // A wait that does not heed the abort (a hand-off awaiting its node) ends on the next turn.
        setImmediate(() => {
          for (const a of this.#awaited) a.settle();
        });
      }, timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        // The replies are handed to the driver in the microtasks after the last command ends.
        setImmediate(resolve);
      });
    });
  }

  #idle(): boolean {
    return this.#inFlight === 0 && this.#relaying === 0 && this.#local === 0;
  }

  /** `work`, or CUT when a stop's deadline ended the wait without it; `entry.cut` says whether the deadline cut it off. */
  async #unlessCutOff<T>(work: Promise<T>, entry: Waiting): Promise<T | typeof CUT> {
    this.#awaited.add(entry);
    try {
      return await new Promise<T | typeof CUT>((resolve, reject) => {
        entry.settle = () => resolve(CUT);
        work.then(resolve, reject);
      });
    } finally {
      this.#awaited.delete(entry);
    }
  }

  /** Lane handler: returns the reply bytes, or undefined (async, handed off, not for us). */
  async handle(kind: LaneKind, req: ServeRequest): Promise<Uint8Array | undefined> {
    const started = performance.now();
    // A reply address outside commands.reply_to: refused like one no answer could reach (the
    // drivers' requestsRefused), before anything is read: not run, not handed off (the other node
    // would answer there), no reply (it could go nowhere allowed), its forward_to not told.
    if (req.replyTo !== undefined && !replyToAllowed(this.#o.replyTo ?? [], this.#o.driver.name, req.replyTo, this.#o.subjects.prefix)) {
      this.counters.replyToRefused++;
      this.#replyToLog.hit({ subject: req.subject, reply_to: req.replyTo.slice(0, 80), config: 'commands.reply_to (FSBUS_REPLY_TO)' });
      return undefined;
    }
    const self = this.#o.selfAsk;
    if (kind === 'broadcast' && self !== undefined && Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength).equals(self.bytes)) {
      return this.#encode({ ok: true, message: 'Agent status retrieved', data: self.identity }, { async: false, correlation_id: self.correlationId });
    }
    // The async lane names the command in its subject; the body (optional) carries the rest and
    // gets the same checks, on its bytes as sent. A body naming another command is refused, not
    // run as the subject's: refused like any request (counted, audited, told to a valid forward_to).
    const laneCommand = kind === 'async' ? req.subject.slice(this.#o.subjects.asyncWildcard.length - 1) : undefined;
    // The verb policy is the node's own: applied here, in the contract's order (before a field of
    // the wrong type), to what this node would run (a direct lane runs what it gets, whatever node
    // it names); a request this node hands off or leaves to another is checked there. A built-in
    // is refused only by a denylist entry naming it.
    const parsed = parseRequest(req.data, {
      maxPayloadBytes: this.#o.maxPayloadBytes,
      denylist: this.#policy.denylist,
      allowlist: this.#policy.allowlist,
      isBuiltin: this.#isBuiltin,
      policyApplies: (_command, h) => kind === 'direct' || h.node_id === undefined || h.node_id === this.#o.nodeId,
      ...(laneCommand === undefined ? {} : { command: laneCommand }),
    });
    // Broadcast with node_id: only that node answers, a refusal included, and counts it (the
    // others get every node's asks, a neighbour's node-id watch among them).
    const named = parsed.ok ? parsed.request.node_id : parsed.hints.node_id;
    if (kind === 'broadcast' && named !== undefined && named !== this.#o.nodeId) return undefined;
    this.counters.received++;
    if (!parsed.ok) {
      // The refusal keeps its own message (SPEC §3.3 order); a bad forward_to just gets nothing.
      const hints = this.#usableForward({ async: kind === 'async' || parsed.hints.async, ...hintsWithout(parsed.hints) });
      return this.#finish(kind, req, started, laneCommand ?? parsed.hints.command ?? '-', hints, {
        ok: false,
        code: parsed.code,
        message: parsed.message,
      });
    }
    const request = parsed.request;
    if (kind === 'async') request.async = true;
    const hints: RequestHints = { async: kind === 'async' || request.async === true, ...hintsWithout(request) };
    const target = request.node_id;
    if (target !== undefined && target !== this.#o.nodeId) {
      if (kind === 'api') {
        // The shared lane picked us, but the request names another node: pass it on, worth
        // sending only while that node could still run it in time.
        const handler = this.#o.registry.resolve(request.command);
        const timeoutMs = commandTimeoutMs(request.timeout_ms, handler.waitMs?.(request, this.#o.timeoutMs), this.#o.timeoutMs);
        const subject = this.#o.subjects.node(target);
        const told = req.expectsReply && !hints.async;
        const relays = told && this.#o.driver.capabilities.promptNoResponders;
        // A relay holds its request here until the node answers: bounded like this node's own commands.
        if (relays && this.#relaying >= this.#o.maxInFlight) {
          // Said like the refusals past max_in_flight of this node's own commands: once per burst.
          this.#relayBusyLog.hit({ refused: ++this.#relayBusyRefused, max_in_flight: this.#o.maxInFlight, config: 'commands.max_in_flight (FSBUS_MAX_IN_FLIGHT)' });
          return this.#tell(req, started, request, hints, { ok: false, code: BusErrorCode.BUSY, message: `Agent busy: ${this.#o.maxInFlight} hand-offs awaiting their node's reply` });
        }
        this.#o.metrics.handoffs.inc();
        if (relays) return this.#relay(req, started, request, hints, target, subject, timeoutMs);
        // Same bytes, same reply address: nobody to tell; or a broker that says only before sending
        // that nobody serves the node (Kafka: no such topic); on ZeroMQ the requester sends it on itself.
        req.forward(subject, told ? { timeoutMs, unserved: () => this.#tell(req, started, request, hints, nodeUnavailable(target, subject)) } : { timeoutMs });
        return undefined;
      }
      if (kind === 'async') {
        this.#o.metrics.notEvent(this.#o.driver.publish(this.#o.subjects.node(target), asyncHandoff(req.data, request.command), correlationHeader(req)));
        this.#o.metrics.handoffs.inc();
        return undefined;
      }
      // Direct lanes: the subject wins (a broadcast naming another node was left above).
    }
    // forward_to is checked before it is used for any reply: a refusal published to an event
    // subject or to the broadcast lane would be a forged message there.
    if (hints.forward_to !== undefined) {
      const bad = this.#forwardProblem(hints.forward_to);
      if (bad !== undefined) {
        const { forward_to: _dropped, ...safe } = hints;
        return this.#finish(kind, req, started, request.command, safe, { ok: false, code: BusErrorCode.INVALID_ARGUMENT, message: bad });
      }
    }
    if (!this.#accepting) {
      return this.#finish(kind, req, started, request.command, hints, { ok: false, code: BusErrorCode.SHUTTING_DOWN, message: 'Agent is shutting down' });
    }
    const handler = this.#o.registry.resolve(request.command);
    if (this.#inFlight >= this.#o.maxInFlight && handler.local !== true) {
      // An overload with log_level warn would otherwise leave no line: once per burst, the total so far.
      this.#busyLog.hit({ refused: ++this.#busyRefused, max_in_flight: this.#o.maxInFlight, config: 'commands.max_in_flight (FSBUS_MAX_IN_FLIGHT)' });
      return this.#finish(kind, req, started, request.command, hints, {
        ok: false,
        code: BusErrorCode.BUSY,
        message: `Agent busy: ${this.#o.maxInFlight} commands in flight`,
      });
    }
    // Only commands for FreeSWITCH count as in flight (max_in_flight, agent.status, /metrics): a
    // local one (agent.status) counted itself, so status never said 0. A stop still waits for it.
    const counted = handler.local !== true;
    if (counted) {
      this.#inFlight++;
      this.#o.metrics.inFlight.inc();
    } else this.#local++;
    this.#o.onChange?.();
    const entry: Waiting = { cut: undefined, settle: () => undefined };
    let ran: CommandResult | typeof CUT;
    try {
      ran = await this.#unlessCutOff(this.#run(kind, request, handler), entry);
    } finally {
      if (counted) {
        this.#inFlight--;
        this.#o.metrics.inFlight.dec();
      } else this.#local--;
      this.#wakeIfIdle();
    }
    let result: CommandResult = ran === CUT ? { ok: false, code: BusErrorCode.TIMEOUT, message: '' } : ran;
    // Cut off by the stop's deadline, not failed: it may have run, so a timeout (retrying is not
    // known to be safe), its data (an originate's uuid and job) kept.
    if (entry.cut !== undefined && !result.ok) {
      this.#cutOff++;
      result = { ...result, code: BusErrorCode.TIMEOUT, message: `the agent stopped before FreeSWITCH answered (${entry.cut}): the command may have run` };
    }
    const out = this.#finish(kind, req, started, request.command, hints, result);
    this.#o.onChange?.();
    return out;
  }

  /**
   * Every connection to FreeSWITCH has its limit of requests waiting for a reply (FreeSWITCH stopped
   * answering): the caller may retry later, like past max_in_flight. Logged at most once per interval.
   */
  #queueFullResult(err: EslQueueFullError): CommandResult {
    const q = this.#queueFull;
    q.count++;
    const now = performance.now();
    if (now - q.warnedAt >= QUEUE_FULL_WARN_INTERVAL_MS) {
      this.#o.logger.warn({ err, refused: q.count }, 'FreeSWITCH is not answering: its connections are full, commands refused as busy');
      q.count = 0;
      q.warnedAt = now;
    }
    return { ok: false, code: BusErrorCode.BUSY, message: 'Agent busy: FreeSWITCH is not answering, too many requests waiting for its reply' };
  }

  #wakeIfIdle(): void {
    if (this.#idle()) for (const w of this.#idleWaiters.splice(0)) w();
  }

  /**
   * A hand-off relayed through this agent (handoff.ts): the node's reply as it came, or what the
   * requester is told. A stop waits for it like for a command: its reply can only come back here.
   */
  async #relay(req: ServeRequest, started: number, request: BusRequest, hints: RequestHints, target: string, subject: string, timeoutMs: number): Promise<Uint8Array | undefined> {
    const entry: Waiting = { cut: undefined, settle: () => undefined };
    let relayed: Awaited<ReturnType<typeof relayHandoff>> | typeof CUT;
    this.#relaying++;
    try {
      relayed = await this.#unlessCutOff(relayHandoff(this.#o.driver, req, subject, target, timeoutMs), entry);
    } finally {
      this.#relaying--;
      this.#wakeIfIdle();
    }
    if (relayed === CUT) {
      this.#cutOff++;
      return this.#tell(req, started, request, hints, { ok: false, code: BusErrorCode.TIMEOUT, message: `the agent stopped before node '${target}' answered (${entry.cut}): the command may have run` });
    }
    if (relayed === undefined || relayed instanceof Uint8Array) return relayed;
    const told = this.#tell(req, started, request, hints, relayed.result);
    return relayed.requesterGone ? undefined : told;
  }

  /** A hand-off the named node did not answer, told like a refusal of this node's own: forward_to hears it too, when it may. */
  #tell(req: ServeRequest, started: number, request: BusRequest, hints: RequestHints, failed: CommandResult): Uint8Array | undefined {
    return this.#finish('api', req, started, request.command, this.#usableForward(hints), failed);
  }

  /** `hints` without a forward_to that may not be used: an answer refused or failed for another reason just sends no copy. */
  #usableForward(hints: RequestHints): RequestHints {
    if (hints.forward_to === undefined || this.#forwardProblem(hints.forward_to) === undefined) return hints;
    return { async: hints.async, ...hintsWithout({ correlation_id: hints.correlation_id, denied_verb: hints.denied_verb }) };
  }

  /** Why `forward_to` may not be used (a refusal message), or undefined when it may. */
  #forwardProblem(subject: string): string | undefined {
    const problem = forwardToProblem(subject, this.#o.subjects);
    if (problem !== undefined) return problem;
    // A copy the driver would drop (Kafka: 249 characters of [A-Za-z0-9._-]): refused before the command runs.
    const uncarried = this.#o.driver.subjectProblem(subject);
    if (uncarried !== undefined) return `forward_to cannot be carried by ${this.#o.driver.name}: ${uncarried}`;
    // The copy goes out with the agent's broker permissions, not the requester's: the operator's list bounds where.
    const allowed = this.#o.forwardTo ?? [];
    if (allowed.length > 0 && !forwardToAllowed(allowed, subject)) return forwardToNotListed(subject);
    return undefined;
  }

  async #run(kind: LaneKind, request: BusRequest, handler: CommandHandler): Promise<CommandResult> {
    const timeoutMs = commandTimeoutMs(request.timeout_ms, handler.waitMs?.(request, this.#o.timeoutMs), this.#o.timeoutMs);
    const deadline = performance.now() + timeoutMs;
    const remaining = (): number => Math.max(1, deadline - performance.now());
    // Most commands are one `api` round trip, bounded by its own timeout: the abort signal and
    // its timer are made only for a command that asks for them (multi-step ones).
    let abort: { controller: AbortController; timer: NodeJS.Timeout } | undefined;
    const signal = (): AbortSignal => {
      if (abort === undefined) {
        const controller = new AbortController();
        abort = { controller, timer: setTimeout(() => controller.abort(), remaining()) };
        if (stopping.aborted) controller.abort(stopping.reason);
        else stopping.addEventListener('abort', onStop, { once: true });
      }
      return abort.controller.signal;
    };
    // Every wait on FreeSWITCH ends at a stop's deadline: the command's own signal follows the stop's.
    const stopping = this.#stopWaiting.signal;
    const onStop = (): void => abort?.controller.abort(stopping.reason);
    const bounds = () => ({ timeoutMs: remaining(), signal: abort === undefined ? stopping : abort.controller.signal });
    const link = this.#o.link;
    // Why it is not connected is added to the answer below, whichever command found no connection.
    const unavailable = () => new BusError(BusErrorCode.FREESWITCH_UNAVAILABLE, NOT_CONNECTED);
    const ctx: CommandContext = {
      nodeId: this.#o.nodeId,
      ownLane: kind === 'direct',
      timeoutMs,
      get signal() {
        return signal();
      },
      api: async (cmd) => (await link.api(cmd, bounds())) ?? Promise.reject(unavailable()),
      bgapi: async (cmd, jobUuid) => (await link.bgapi(cmd, { ...bounds(), ...(jobUuid === undefined ? {} : { jobUuid }) })) ?? Promise.reject(unavailable()),
      status: this.#status,
    };
    try {
      // A command that found no connection (thrown, or answered by the command itself: originate)
      // says why, as /readyz does: a refused password, no listener…
      return withUnavailableCause(await handler.run(request, ctx), () => link.unavailableCause);
    } catch (err) {
      if (err instanceof EslQueueFullError) return this.#queueFullResult(err);
      const failed = toErrorResult(err, timeoutMs, this.#o.logger);
      // FreeSWITCH's own timeout (not a BusError a command chose): `timed_out` is the running total.
      // A wait the stop's deadline ended is not one: it is counted and logged as cut off only.
      if (!failed.ok && failed.code === BusErrorCode.TIMEOUT && !(err instanceof BusError) && !stopping.aborted) {
        this.#slowLog.hit({ timed_out: ++this.#timedOut, cmd: auditToken(leadingVerb(request.command)), timeout_ms: timeoutMs });
      }
      return withUnavailableCause(failed, () => link.unavailableCause);
    } finally {
      if (abort !== undefined) {
        clearTimeout(abort.timer);
        stopping.removeEventListener('abort', onStop);
      }
    }
  }

  #finish(kind: LaneKind, req: ServeRequest, started: number, command: string, hints: RequestHints, ran: CommandResult): Uint8Array | undefined {
    let result = ran;
    let bytes = this.#encode(result, hints);
    const limit = this.#o.driver.maxPayloadBytes;
    if (limit !== undefined && bytes.byteLength > limit) {
      // The broker would refuse it and the requester wait out its timeout: tell it now instead.
      result = { ok: false, code: BusErrorCode.REPLY_TOO_LARGE, message: `Reply too large for the broker: ${bytes.byteLength} bytes, it takes at most ${limit}` };
      bytes = this.#encode(result, hints);
    }
    if (result.ok) this.counters.ok++;
    else {
      this.counters.failed++;
      this.#o.metrics.requestErrors.inc({ code: result.code });
    }
    const outcome = result.ok ? 'ok' : 'err';
    this.#o.metrics.requests.inc({ lane: kind, result: outcome });
    this.#o.metrics.requestDuration.observe({ result: outcome }, (performance.now() - started) / 1000);
    if (hints.forward_to !== undefined) {
      // Best effort, identical bytes; a failure never changes the caller's reply. The correlation
      // id the driver took outside the body (RabbitMQ's property) goes with it, as on the reply.
      this.#o.metrics.forwarded(this.#o.driver.publish(hints.forward_to, bytes, correlationHeader(req)));
    }
    // The verb only: a command's inline arguments (uuids, numbers, values) are payload too.
    const cmd = auditToken(leadingVerb(command));
    // Fields added with Object.assign, here and in #encode: on Node 20's V8 `{ ...fields, code }` is slow (docs/benchmarks.md).
    const fields = { audit: 'command', cmd, subject: req.subject, result: outcome, async: hints.async ? 'yes' : 'no', payload_bytes: req.data.byteLength };
    // A denial names the verb refused (`cmd` alone says `bgapi` for a `bgapi hupall`), last:
    // mod_event_agent's keys keep their order for the parsers that read them.
    let denied = '';
    if (!result.ok) {
      Object.assign(fields, { code: result.code });
      if (hints.denied_verb !== undefined) {
        const verb = auditToken(hints.denied_verb);
        Object.assign(fields, { denied_verb: verb });
        denied = ` denied_verb=${verb}`;
      }
      // Nobody is told (fire-and-forget, no reply address, no copy): this line is where the why is.
      const untold = (hints.async || !req.expectsReply) && hints.forward_to === undefined;
      if (untold) Object.assign(fields, { reason: clipText(result.message, MAX_REASON_CHARS) });
    }
    if (this.#o.audit !== false) this.#o.logger.info(fields, `audit=command cmd=${cmd} subject=${auditToken(req.subject)} result=${outcome} async=${fields.async} payload_bytes=${fields.payload_bytes}${denied}`);
    return hints.async ? undefined : bytes;
  }

  #encode(result: CommandResult, hints: RequestHints): Uint8Array {
    const init = { nodeId: this.#o.nodeId, message: result.message, correlationId: hints.correlation_id, ...(result.data === undefined ? {} : { data: result.data }) };
    return encodeReply(result.ok ? successReply(init) : errorReply(Object.assign(init, { code: result.code })));
  }
}

function hintsWithout(h: { forward_to?: string | undefined; correlation_id?: string | undefined; denied_verb?: string | undefined }): Omit<RequestHints, 'async'> {
  const out: Omit<RequestHints, 'async'> = {};
  if (h.forward_to !== undefined) out.forward_to = h.forward_to;
  if (h.correlation_id !== undefined) out.correlation_id = h.correlation_id;
  if (h.denied_verb !== undefined) out.denied_verb = h.denied_verb;
  return out;
}

/** Publish options carrying the request's CORRELATION_ID_HEADER, when its driver gave one. */
function correlationHeader(req: ServeRequest): PublishOptions | undefined {
  const id = req.headers?.[CORRELATION_ID_HEADER];
  return id === undefined ? undefined : { headers: { [CORRELATION_ID_HEADER]: id } };
}

/** Never lets a user-controlled value break the audit line's `key=value` shape. */
function auditToken(value: string): string {
  const t = value.replace(/[^\x21-\x7e]/g, '_').slice(0, 128);
  return t === '' ? '-' : t;
}

function toErrorResult(err: unknown, timeoutMs: number, logger: Logger): CommandResult {
  if (err instanceof BusError) return { ok: false, code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) };
  const failed = eslFailure(err, timeoutMs);
  if (failed !== undefined) return failed;
  logger.error({ err }, 'command failed unexpectedly');
  return { ok: false, code: BusErrorCode.INTERNAL, message: 'Internal error' };
}
