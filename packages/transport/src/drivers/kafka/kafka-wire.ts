/** Record ⇄ InboundMessage mapping, the event key, and Kafka error classification. */
import type { Message } from '@platformatic/kafka';
import { AGENT_NOTICE_SUBCLASSES, eventSubjectTail } from '@fsbus/contract';
import type { InboundMessage } from '../../driver.js';
import type { OutboxItem } from '../../outbox.js';
import { KafkaHeader } from './kafka-topics.js';

export type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

export interface OutRecord {
  topic: string;
  key?: Buffer;
  /** Set only for the copies of an agent's notice (toRecords): each partition gets one. */
  partition?: number;
  value: Buffer;
  headers: Map<Buffer, Buffer>;
}

export function headerMap(h: Readonly<Record<string, string>>): Map<Buffer, Buffer> {
  const out = new Map<Buffer, Buffer>();
  for (const [k, v] of Object.entries(h)) out.set(Buffer.from(k), Buffer.from(v));
  return out;
}

export function readHeaders(m: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of m.headerEntries) out[k.toString('utf8')] = v.toString('utf8');
  return out;
}

/** The contract view of a record: the subject from its header (else the topic), fsbus-* headers hidden. */
export function toInbound(m: KafkaMessage, all: Record<string, string>): InboundMessage {
  const subject = all[KafkaHeader.SUBJECT] ?? m.topic;
  const headers: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith('fsbus-')) continue;
    headers[k] = v;
    any = true;
  }
  const data = m.value ?? Buffer.alloc(0);
  return any ? { subject, data, headers } : { subject, data };
}

const UUID_RE = /"uuid":"([^"\\]{1,128})"/;
const decoder = new TextDecoder();

/**
 * Record key of an event: the payload's top-level `uuid` (SPEC §3.5 puts it before `headers`),
 * so one call's events stay in one partition, in order. Events without a channel have no key.
 */
export function eventKey(data: Uint8Array): Buffer | undefined {
  const head = decoder.decode(data.subarray(0, 1024));
  const stop = head.indexOf('"headers":');
  const m = UUID_RE.exec(stop === -1 ? head : head.slice(0, stop));
  return m?.[1] === undefined ? undefined : Buffer.from(m[1]);
}

/** Connection-level failures (broker away) as opposed to a refusal of this very record. */
export function isNetworkError(err: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (e: unknown): boolean => {
    if (e === null || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const o = e as { code?: unknown; errors?: unknown; cause?: unknown };
    if (o.code === 'PLT_KFK_NETWORK' || o.code === 'PLT_KFK_TIMEOUT' || o.code === 'ECONNREFUSED' || o.code === 'ECONNRESET' || o.code === 'EPIPE') return true;
    if (Array.isArray(o.errors) && o.errors.some(walk)) return true;
    return walk(o.cause);
  };
  return walk(err);
}

/** The broker's error codes for a topic it does not have (a fetch by topic id says the latter). */
const UNKNOWN_TOPIC_API_IDS = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID']);

/** Whether `err`, or an error it carries (errors[], cause), says so: the library wraps the broker's. */
function saidByError(err: unknown, says: (e: { message?: unknown; apiId?: unknown }) => boolean): boolean {
  const seen = new Set<unknown>();
  const walk = (e: unknown): boolean => {
    if (e === null || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const o = e as { message?: unknown; apiId?: unknown; errors?: unknown; cause?: unknown };
    if (says(o)) return true;
    if (Array.isArray(o.errors) && o.errors.some(walk)) return true;
    return walk(o.cause);
  };
  return walk(err);
}

/** The topic does not exist (never created, or deleted). */
export function isUnknownTopic(err: unknown): boolean {
  return saidByError(err, (o) => (typeof o.message === 'string' && /unknown topic/i.test(o.message)) || UNKNOWN_TOPIC_API_IDS.has(o.apiId as string));
}

/** Another client created the topic first. */
export function isTopicAlreadyExists(err: unknown): boolean {
  return saidByError(err, (o) => o.apiId === 'TOPIC_ALREADY_EXISTS');
}

/**
 * What the broker said, for a message: the library wraps its error codes (`ProtocolError`: apiId and
 * text) in errors saying only that producing failed. `MESSAGE_TOO_LARGE (The request included a
 * message larger than …)`, every distinct one; the outer message when none is found.
 */
export function brokerReason(err: unknown): string {
  const said = new Set<string>();
  // Never satisfied: the walk visits every error in the chain.
  saidByError(err, (o) => {
    if (typeof o.apiId === 'string') said.add(typeof o.message === 'string' ? `${o.apiId} (${o.message})` : o.apiId);
    return false;
  });
  if (said.size > 0) return [...said].join('; ');
  return err instanceof Error ? err.message : String(err);
}

/** What Kafka takes as a topic name. */
export function isTopicName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..';
}

/** A queued item → the record produced: fsbus-key becomes the key; events are keyed by channel uuid. */
export function toRecord(item: OutboxItem): OutRecord {
  const { [KafkaHeader.KEY]: explicit, ...headers } = item.headers ?? {};
  const key = explicit !== undefined ? Buffer.from(explicit) : item.subject.endsWith('.events') ? eventKey(item.data) : undefined;
  const value = Buffer.from(item.data.buffer, item.data.byteOffset, item.data.byteLength);
  return { topic: item.subject, ...(key === undefined ? {} : { key }), value, headers: headerMap(headers) };
}

/** Subject tails (after `<topic>.`) of the agent's own notices (docs/contract.md "Events"). */
const NOTICE_TAILS = new Set([...AGENT_NOTICE_SUBCLASSES].map((s) => eventSubjectTail('CUSTOM', s)));

/**
 * An agent's notice (fsbus::agent_start, agent_stop, events_dropped, events_resumed): a record to
 * an events topic (`<p>.events`) whose subject is `<p>.events.custom.fsbus.<notice>`, with no key
 * (no channel uuid, no fsbus-key). Other CUSTOM events under fsbus:: are not notices.
 */
export function isAgentNotice(item: OutboxItem): boolean {
  if (!item.subject.endsWith('.events')) return false;
  const subject = item.headers?.[KafkaHeader.SUBJECT];
  if (subject === undefined || !subject.startsWith(`${item.subject}.`) || !NOTICE_TAILS.has(subject.slice(item.subject.length + 1))) return false;
  return item.headers?.[KafkaHeader.KEY] === undefined && eventKey(item.data) === undefined;
}

/**
 * The records of `item`: one, but an agent's notice goes to every one of its topic's `partitions`
 * (one copy each, same key-less value and headers), so every member of a consumer group reading
 * the topic learns of a loss; a consumer reading several partitions keeps one (docs/drivers/kafka.md).
 */
export function toRecords(item: OutboxItem, partitions: (topic: string) => number): OutRecord[] {
  const record = toRecord(item);
  if (!isAgentNotice(item)) return [record];
  const n = partitions(record.topic);
  if (n <= 1) return [record];
  return Array.from({ length: n }, (_, partition) => ({ ...record, partition }));
}
