/**
 * The start-up check that no other agent already serves this node id. Two agents of one id (a
 * config file copied to a second FreeSWITCH box) both take every request of `<prefix>.node.<id>`:
 * one originate, a call on each switch. So before serving its lanes, the agent asks its own direct
 * lane for `agent.status`; an answer means another agent holds the id, and the start is refused.
 */
import { BusErrorCode, decodeReply, encodeUtf8 } from '@fsbus/contract';
import { TransportError, TransportErrorCode, type Driver } from '@fsbus/transport';
import type { Logger } from 'pino';
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
  // An agent draining at its stop keeps its own lane, refusing everything: it is leaving the id.
  if (isShuttingDown(reply)) {
    logger.warn({ subject }, 'node id check: the agent that served this node is stopping (draining its commands), starting beside it: until it is gone, a request for this node may be refused FSBUS_ERR_BUS_SHUTTING_DOWN by it (not run)');
    return;
  }
  throw nodeIdTaken(nodeId, subject, hostOf(reply));
}

function isShuttingDown(reply: Uint8Array): boolean {
  try {
    const r = decodeReply(reply);
    return !r.success && r.code === BusErrorCode.SHUTTING_DOWN;
  } catch {
    return false;
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
function hostOf(reply: Uint8Array): string | undefined {
  try {
    const data = decodeReply(reply).data;
    const host = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['hostname'] : undefined;
    return typeof host === 'string' && host !== '' ? host : undefined;
  } catch {
    return undefined;
  }
}

function nodeIdTaken(nodeId: string, subject: string, host: string | undefined): ConfigError {
  const where = host === undefined ? '' : `, on host ${host}`;
  return new ConfigError('node_id', `another agent already serves node '${nodeId}' (${subject})${where}: give each agent its own node_id (FSBUS_NODE_ID)`);
}
