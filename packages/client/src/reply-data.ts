/**
 * The `data` of a `success:true` envelope, checked before a method reads fields from it. An
 * envelope may come without `data`, or with `data: null` (mod_event_agent answers that way, and
 * so may any other publisher on the lane): a method that needs an object says what is missing with
 * FSBUS_ERR_CLIENT_BAD_REPLY instead of failing on `undefined` with a bare TypeError.
 */
import type { ReplyEnvelope } from '@fsbus/contract';
import { ClientError, ClientErrorCode } from './errors.js';
import { describeValue as describe } from './malformed.js';
import type { AgentStatus, ParkStatus } from './types.js';

function badReply(what: string, reply: ReplyEnvelope, problem: string): ClientError {
  return new ClientError(ClientErrorCode.BAD_REPLY, `${what}: the reply of node '${reply.node_id}' ${problem}`);
}

/**
 * The reply's `data` as an object whose `fields`, where present, are strings (`expected` names
 * the shape in the message: `{uuid, job_uuid, result}`).
 */
export function dataObject<K extends string>(reply: ReplyEnvelope, what: string, expected: string, fields: readonly K[]): Partial<Record<K, string>> {
  const data = reply.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw badReply(what, reply, `has no data object ${expected} (got ${describe(data)})`);
  const record = data as Record<string, unknown>;
  for (const field of fields) {
    const value = record[field];
    if (value !== undefined && typeof value !== 'string') throw badReply(what, reply, `has data.${field} that is not a string (got ${describe(value)})`);
  }
  return record as Partial<Record<K, string>>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The reply's `data` as an agent status: what every fsbus agent sends (SPEC §3.4), checked so
 * that a caller reading `status.broker.status` or `status.counters` cannot meet `undefined`:
 * string `node_id`, `version` and `driver`, number `uptime`, objects `broker` and `esl` each with a
 * string `status`, object `counters`. Anything else is FSBUS_ERR_CLIENT_BAD_REPLY naming the node.
 */
export function agentStatusData(reply: ReplyEnvelope, what: string): AgentStatus {
  const data = reply.data;
  if (!isObject(data)) throw badReply(what, reply, `has no status object in data (got ${describe(data)})`);
  if (typeof data['node_id'] !== 'string') throw badReply(what, reply, 'has no data.node_id string');
  for (const field of ['version', 'driver'] as const) {
    if (typeof data[field] !== 'string') throw badReply(what, reply, `is an incomplete status: data.${field} is not a string (got ${describe(data[field])})`);
  }
  if (typeof data['uptime'] !== 'number') throw badReply(what, reply, `is an incomplete status: data.uptime is not a number (got ${describe(data['uptime'])})`);
  for (const part of ['broker', 'esl'] as const) {
    const value = data[part];
    if (!isObject(value)) throw badReply(what, reply, `is an incomplete status: no data.${part} object (got ${describe(value)})`);
    if (typeof value['status'] !== 'string') throw badReply(what, reply, `is an incomplete status: data.${part}.status is not a string (got ${describe(value['status'])})`);
  }
  if (!isObject(data['counters'])) throw badReply(what, reply, `is an incomplete status: no data.counters object (got ${describe(data['counters'])})`);
  return data as AgentStatus;
}

type FieldCheck = readonly [name: keyof ParkStatus, expected: string, ok: (v: unknown) => boolean];

const isBoolean = (v: unknown): boolean => typeof v === 'boolean';
const isNumber = (v: unknown): boolean => typeof v === 'number';
const isString = (v: unknown): boolean => typeof v === 'string';
const isStringOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

const PARK_STATUS_FIELDS: readonly FieldCheck[] = [
  ['available', 'a boolean', isBoolean],
  ['endpoint', 'a string or null', isStringOrNull],
  ['enabled', 'a boolean', isBoolean],
  ['mode', "'silence', 'ringback' or 'music'", (v) => v === 'silence' || v === 'ringback' || v === 'music'],
  ['music_class', 'a string', isString],
  ['autoanswer', 'a boolean', isBoolean],
  ['timeout_seconds', 'a number', isNumber],
  ['timeout_cause', 'a string', isString],
  ['calls_parked', 'a number', isNumber],
  ['parked_now', 'a number', isNumber],
  ['lookups', 'a number', isNumber],
  ['lookups_parked', 'a number', isNumber],
  ['state_file', 'a string or null', isStringOrNull],
];

/** The reply's `data` as a park status, every field as an fsbus agent sends it; else BAD_REPLY naming the first field that is not. */
export function parkStatusData(reply: ReplyEnvelope, what: string): ParkStatus {
  const data = reply.data;
  if (!isObject(data)) throw badReply(what, reply, `has no park status object in data (got ${describe(data)})`);
  for (const [name, expected, ok] of PARK_STATUS_FIELDS) {
    if (!ok(data[name])) throw badReply(what, reply, `is not a park status: data.${name} is not ${expected} (got ${describe(data[name])})`);
  }
  return data as unknown as ParkStatus;
}
