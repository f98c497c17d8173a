/**
 * The start-up check that no other agent already serves this node id. Two agents of one id (a
 * config file copied to a second FreeSWITCH box) both take every request of `<prefix>.node.<id>`:
 * one originate, a call on each switch. So before serving its lanes, the agent asks its own direct
 * lane for `agent.status`; an answer means another agent holds the id, and the start is refused.
 * A first agent that cannot answer then (frozen: SIGSTOP, a long GC or VM pause) lets a second
 * start, and both serve once it resumes: NodeIdWatch asks again while running, and says so.
 */
import { AGENT_STOP_SUBCLASS, BusErrorCode, decodeReply, encodeUtf8, INSTANCE_ID_HEADER, type ReplyEnvelope } from '@fsbus/contract';
import { TransportError, TransportErrorCode, type Driver, type InboundMessage, type Subscription } from '@fsbus/transport';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import { ConfigError } from './errors.js';

/**
 * How long the agent waits for that answer. Most brokers say at once that nobody serves the lane
 * (NATS, Redis, MQTT: no responders; AMQP: the mandatory request returned; Kafka: the lane's topic
 * missing, or its consumer groups all empty); the bound is for the rest: a lane a crashed agent
 * still holds (Redis: its serving mark, ≤ 6 s; AMQP: its queue until the broker drops the dead
 * connection; Kafka: its group member until the session timeout, 10 s), a subscriber that never
 * answers (`nats sub 'freeswitch.>'`), ZeroMQ's lane discovery (≤ 1 s).
 */
export const NODE_ID_CHECK_TIMEOUT_MS = 2000;

const STATUS_REQUEST = encodeUtf8('{"command":"agent.status"}');

export interface NodeIdCheck {
  driver: Driver;
  nodeId: string;
  /** This node's direct lane, `<prefix>.node.<id>`. */
  subject: string;
  /** The broker URLs the agent was given. */
  urls: readonly string[];
  logger: Logger;
}

/** Resolves when nobody else serves the node (or the broker cannot tell: logged); rejects with a ConfigError naming the other agent's host when one answers. */
export async function ensureNodeIdFree(check: NodeIdCheck): Promise<void> {
  const { driver, nodeId, subject, logger } = check;
  const skipped = notAsked(driver.name, check.urls);
  if (skipped !== undefined) {
    logger.debug({ subject }, `node id check skipped: ${skipped}`);
    return;
  }
  const started = performance.now();
  let reply: Uint8Array;
  try {
    reply = (await driver.request(subject, STATUS_REQUEST, { timeoutMs: NODE_ID_CHECK_TIMEOUT_MS })).data;
  } catch (err) {
    const ms = Math.round(performance.now() - started);
    const code = err instanceof TransportError ? err.code : undefined;
    if (code === TransportErrorCode.NO_RESPONDERS) logger.debug({ subject, ms }, 'node id check: no other agent serves this node');
    else if (code === TransportErrorCode.TIMEOUT)
      logger.warn({ subject, ms }, "node id check: no answer on this node's lane in time, starting (a crashed agent's lane the broker still holds, or a subscriber that does not answer)");
    else logger.warn({ subject, ms, reason: err instanceof Error ? err.message : String(err) }, 'node id check could not ask the broker, starting without it');
    return;
  }
  const answer = readReply(reply);
  // An agent draining at its stop keeps its own lane, refusing everything: it is leaving the id.
  if (answer !== undefined && !answer.success && answer.code === BusErrorCode.SHUTTING_DOWN) {
    logger.warn({ subject }, 'node id check: the agent that served this node is stopping (draining its commands), starting beside it: until it is gone, a request for this node may be refused FSBUS_ERR_BUS_SHUTTING_DOWN by it (not run)');
    return;
  }
  throw nodeIdTaken(nodeId, subject, hostOf(answer));
}

/** The reply envelope, or undefined for bytes that are none (whatever else answered on the lane). */
function readReply(data: Uint8Array): ReplyEnvelope | undefined {
  try {
    return decodeReply(data);
  } catch {
    return undefined;
  }
}

/**
 * Why the check is not made, or undefined. A ZeroMQ agent with one URL binds it and connects to
 * nobody: no other agent could answer (with more, a mesh, it reaches its peers).
 */
function notAsked(driverName: string, urls: readonly string[]): string | undefined {
  if (driverName === 'zmq' && urls.length < 2) return 'a zmq agent with one URL reaches no other agent';
  return undefined;
}

/** The other agent's `hostname` from its agent.status, when its reply says. */
function hostOf(reply: ReplyEnvelope | undefined): string | undefined {
  const data = reply?.data;
  const host = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['hostname'] : undefined;
  return typeof host === 'string' && host !== '' ? host : undefined;
}

function nodeIdTaken(nodeId: string, subject: string, host: string | undefined): ConfigError {
  const where = host === undefined ? '' : `, on host ${host}`;
  return new ConfigError('node_id', `another agent already serves node '${nodeId}' (${subject})${where}: give each agent its own node_id (FSBUS_NODE_ID)`);
}

/** How often a running agent asks whether another one answers for its node id (and after each broker reconnect). */
export const NODE_ID_WATCH_INTERVAL_MS = 30_000;

/**
 * The watch's ask: agent.status for this node id on the broadcast lane, its correlation id naming
 * the asking instance. The asking agent answers its own copy without counting it as a request
 * (the dispatcher knows these bytes): its counters and audit lines are what others sent.
 */
export function nodeIdWatchAsk(nodeId: string, instanceId: string): { bytes: Uint8Array; correlationId: string } {
  const correlationId = `fsbus-node-id-watch:${instanceId}`;
  return { bytes: encodeUtf8(JSON.stringify({ command: 'agent.status', node_id: nodeId, correlation_id: correlationId })), correlationId };
}

/** Who an agent is, as its agent.status says: two agents of one host and process (tests) differ by `instance_id`. */
export interface AgentIdentity {
  hostname?: string;
  pid?: number;
  instance_id?: string;
}

/** agent.status `node_id_conflict`: the other agent heard last, and since when (ISO 8601). */
export interface NodeIdConflict extends AgentIdentity {
  since: string;
}

export interface NodeIdWatchOptions {
  driver: Driver;
  nodeId: string;
  /** `<prefix>.broadcast`: asked with `node_id`, only agents of this node answer (this one too). */
  broadcast: string;
  /** This node's direct lane, for the log lines. */
  subject: string;
  urls: readonly string[];
  logger: Logger;
  /** This agent: its own answer is told from the others' by `instance_id`. */
  self: Required<AgentIdentity>;
  /** fsbus_node_id_conflict. */
  gauge: Gauge;
  /** @default NODE_ID_WATCH_INTERVAL_MS */
  intervalMs?: number | undefined;
  /**
   * `<prefix>.events.custom.fsbus.agent_stop`: another agent of this node id saying goodbye makes
   * the watch ask again at once, not at the next interval. Without it, only the interval does.
   */
  goodbyes?: string | undefined;
}

/**
 * Asks `agent.status` of this node id on the broadcast lane every interval, after each broker
 * reconnect and when another agent of this node id says goodbye (its `fsbus::agent_stop`): an
 * answer from another instance is a conflict, said once when it starts (error) and once when it
 * ends, on the gauge and in agent.status. The agent keeps serving either way: leaving the lanes on
 * both sides would leave the node to nobody. Stops by itself when the driver closes.
 */
export class NodeIdWatch {
  readonly #o: NodeIdWatchOptions;
  readonly #request: Uint8Array;
  #timer: NodeJS.Timeout | undefined;
  #off: (() => void) | undefined;
  #goodbyes: Subscription | undefined;
  #checking: Promise<void> | undefined;
  #away = false;
  #conflict: NodeIdConflict | undefined;

  constructor(options: NodeIdWatchOptions) {
    this.#o = options;
    this.#request = nodeIdWatchAsk(options.nodeId, options.self.instance_id).bytes;
  }

  start(): void {
    const { driver, logger, subject } = this.#o;
    const skipped = driver.capabilities.scatterGather ? notAsked(driver.name, this.#o.urls) : `the ${driver.name} driver cannot gather`;
    if (skipped !== undefined) {
      logger.debug({ subject }, `node id watch skipped: ${skipped}`);
      return;
    }
    this.#timer = setInterval(() => void this.check(), this.#o.intervalMs ?? NODE_ID_WATCH_INTERVAL_MS);
    this.#timer.unref();
    this.#off = driver.on((e) => {
      if (e.type !== 'status') return;
      if (e.status === 'closed') this.stop();
      else if (e.status !== 'connected') this.#away = true;
      else if (this.#away) {
        // Another agent may have started while this one was away (the start-up check then found nobody).
        this.#away = false;
        void this.check();
      }
    });
    this.#hearGoodbyes();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#off?.();
    this.#off = undefined;
    void this.#goodbyes?.unsubscribe().catch(() => undefined);
    this.#goodbyes = undefined;
  }

  /**
   * The other agent stopping cleanly ends the conflict now, not up to an interval later. Its
   * goodbye comes after it stopped taking requests (agent.status refused: not an answer here) and
   * left its lanes, so an ask sent after the goodbye arrived cannot hear it; only one already
   * under way may have: that one's end is then followed by another.
   */
  #hearGoodbyes(): void {
    const { driver, logger, subject, goodbyes } = this.#o;
    if (goodbyes === undefined) return;
    // Kafka reads a topic per subject root: this would read every event of every node.
    if (driver.name === 'kafka') {
      logger.debug({ subject }, 'node id watch: not listening for goodbyes on kafka (it would read every event), a conflict ends at the next ask');
      return;
    }
    try {
      this.#goodbyes = driver.subscribe(goodbyes, (m) => {
        if (this.#isOthersGoodbye(m)) this.#checkAfresh();
      });
    } catch (err) {
      logger.debug({ subject, goodbyes, reason: err instanceof Error ? err.message : String(err) }, 'node id watch: cannot listen for goodbyes, a conflict ends at the next ask');
    }
  }

  /** A goodbye of this node id from another instance; one naming no instance (an older agent) counts too: an ask is cheap. */
  #isOthersGoodbye(m: InboundMessage): boolean {
    let p: { node_id?: unknown; headers?: Record<string, unknown> };
    try {
      p = JSON.parse(payloadDecoder.decode(m.data)) as typeof p;
    } catch {
      return false;
    }
    if (typeof p !== 'object' || p === null || p.node_id !== this.#o.nodeId) return false;
    const headers = typeof p.headers === 'object' && p.headers !== null ? p.headers : {};
    if (headers['Event-Subclass'] !== AGENT_STOP_SUBCLASS) return false;
    return headers[INSTANCE_ID_HEADER] !== this.#o.self.instance_id;
  }

  /** A check that begins now, or right after the one under way (begun before the news). */
  #checkAfresh(): void {
    const running = this.#checking;
    void (running === undefined ? this.check() : running.then(() => this.check()));
  }

  /** The conflict going on, if any (agent.status `node_id_conflict`). */
  get conflict(): NodeIdConflict | undefined {
    return this.#conflict;
  }

  /** One ask (one at a time: a tick during one is skipped); never rejects. */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(): Promise<void> {
    const { driver, logger, subject, self } = this.#o;
    if (driver.status !== 'connected') return;
    let answers: AgentIdentity[];
    try {
      // Ends once two instances answered (this one and another); else at the bound.
      const messages = await driver.gather(this.#o.broadcast, this.#request, { timeoutMs: NODE_ID_CHECK_TIMEOUT_MS, expect: 2, replierOf: (d) => identityOf(d)?.instance_id });
      answers = messages.map((m) => identityOf(m.data)).filter((a): a is AgentIdentity => a !== undefined);
    } catch (err) {
      logger.debug({ subject, reason: err instanceof Error ? err.message : String(err) }, 'node id watch could not ask the broker');
      return;
    }
    const other = answers.find((a) => a.instance_id !== self.instance_id);
    if (other !== undefined) {
      if (this.#conflict !== undefined && this.#conflict.instance_id === other.instance_id) return;
      this.#conflict = { ...other, since: new Date().toISOString() };
      this.#o.gauge.set(1);
      logger.error(
        { subject, other, self, hint: `commands to ${this.#o.nodeId} go to either agent: stop one, and give each FreeSWITCH its own node_id (FSBUS_NODE_ID)` },
        'node id conflict: another agent answers for this node id',
      );
      return;
    }
    // Without its own answer the ask proves nothing (lanes not yet served, the broker losing it).
    if (this.#conflict === undefined || !answers.some((a) => a.instance_id === self.instance_id)) return;
    const ended = this.#conflict;
    this.#conflict = undefined;
    this.#o.gauge.set(0);
    logger.warn({ subject, other: identityFields({ ...ended }), since: ended.since }, 'node id conflict ended: no other agent answers for this node id');
  }
}

const payloadDecoder = new TextDecoder();

/** Who answered, from an agent.status reply: undefined for anything else (a refusal, not an envelope). */
function identityOf(data: Uint8Array): AgentIdentity | undefined {
  const reply = readReply(data);
  const d = reply?.data;
  if (reply?.success !== true || typeof d !== 'object' || d === null) return undefined;
  return identityFields(d as Record<string, unknown>);
}

/** `hostname`, `pid`, `instance_id` as given (an older agent sends no `pid` nor `instance_id`). */
function identityFields(r: Record<string, unknown>): AgentIdentity {
  const hostname = r['hostname'];
  const pid = r['pid'];
  const instance = r['instance_id'];
  return {
    ...(typeof hostname === 'string' ? { hostname } : {}),
    ...(typeof pid === 'number' ? { pid } : {}),
    ...(typeof instance === 'string' ? { instance_id: instance } : {}),
  };
}
