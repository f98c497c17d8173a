/** One publish as the arguments of the route script (redis-scripts.ts ROUTE_SCRIPT). */
import { randomUUID } from 'node:crypto';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { runsOnArrival, type OutboxItem } from '../../outbox.js';

/** Lane streams are trimmed to about this many entries. @default 10000 */
export const LANE_STREAM_MAXLEN = 10_000;
/**
 * How long the mark that a command with no deadline (fire-and-forget, or its hand-off) was routed
 * is kept: a copy ioredis sends again after a reconnect within this time is not routed twice.
 * @default 600000
 */
export const ROUTED_MARK_TTL_MS = 600_000;
/** What a publish costs on the wire beyond its subject and payload (the script call's other arguments), roughly. */
export const ROUTE_OVERHEAD_BYTES = 96;

/**
 * Why `subject` cannot be routed, or undefined. Only its form: a channel or key name has no limit
 * a subject could reach (Redis takes up to 512 MB).
 */
export function routeSubjectProblem(subject: string): string | undefined {
  return /^[^\s.*>]+(\.[^\s.*>]+)*$/.test(subject) ? undefined : 'a subject is dot-separated tokens without spaces or wildcards (* >)';
}

/** `streams`: the durable streams that take the subject (StreamRoutes.args). */
export function routeArgs(ns: string, item: OutboxItem, data: Buffer, streams: readonly string[]): Array<string | Buffer | number> {
  const why = routeSubjectProblem(item.subject);
  if (why !== undefined) throw new TransportError(TransportErrorCode.BROKER, `invalid subject '${item.subject}': ${why}`);
  const headers = item.headers === undefined ? '' : JSON.stringify(item.headers);
  // Wall-clock, as a server on another host reads it: a request may wait in a lane stream while no server reads it.
  const expires = item.deadline === undefined ? '' : String(Math.round(Date.now() + item.deadline - performance.now()));
  // What runs on arrival is routed once, whatever ioredis sends again (ROUTE_SCRIPT); a request
  // is marked by its correlation id until its deadline, a command with neither by an id of its own.
  let onceId = '';
  let onceUntil = '';
  if (runsOnArrival(item)) {
    onceId = item.correlationId ?? randomUUID();
    onceUntil = expires !== '' ? expires : String(Date.now() + ROUTED_MARK_TTL_MS);
  }
  return [ns, item.subject, data, item.replyTo ?? '', item.correlationId ?? '', headers, LANE_STREAM_MAXLEN, expires, onceId, onceUntil, ...streams];
}
