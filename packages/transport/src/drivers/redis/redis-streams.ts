/** The blocking stream readers of the Redis driver: lane groups and the client's reply stream. */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplyError, type Redis } from 'ioredis';
import type { InboundMessage } from '../../driver.js';
import { backoffMs } from '../base-driver.js';
import { unlessInterrupted } from '../../interruptible.js';
import { entryFields, parseHeaders } from './redis-util.js';
import { expiresOf, shownExpires } from './redis-expires.js';

/**
 * How long one lane read blocks: the longest a lane being left waits for its reader's read to end
 * when CLIENT UNBLOCK cannot end it (refused by an ACL, or sent just before the read got there).
 * @default 2000
 */
export const LANE_BLOCK_MS = 2_000;

/** One lane stream read by one consumer group, on a connection of its own (XREADGROUP blocks). */
export interface LaneStream {
  key: string;
  group: string;
  conn: Redis;
  /** Aborted when the lane is dropped: every wait of its reader ends on it (a read under way too). */
  stop: AbortController;
  /** Being left: no read is sent after the one under way, whose entries are still served. */
  draining: boolean;
  /** The reader connection's CLIENT ID (for CLIENT UNBLOCK); undefined until asked, and once it closes; 0 if refused. */
  clientId: number | undefined;
}

/** A lane entry as the route script wrote it (redis-scripts.ts ROUTE_SCRIPT). */
export interface LaneEntry {
  message: InboundMessage;
  replyTo: string | undefined;
  correlationId: string | undefined;
  /** The requester's deadline, epoch ms on its clock; 0 for none, NaN when refused (badExpires). */
  expires: number;
  /** The `expires` field as sent (cut), when it is not epoch milliseconds: the request is refused. */
  badExpires?: string;
}

/** `flat`: the entry's field/value list; `laneSubject` stands in for an entry without a subject. */
export function laneEntry(flat: readonly Buffer[], laneSubject: string): LaneEntry {
  const f = entryFields(flat);
  const data = f.get('data') ?? Buffer.alloc(0);
  const headers = parseHeaders(f.get('headers'));
  const message: InboundMessage = {
    subject: f.get('subject')?.toString('utf8') ?? laneSubject,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    ...(headers === undefined ? {} : { headers }),
  };
  const replyTo = f.get('reply_to')?.toString('utf8');
  const correlationId = f.get('correlation_id')?.toString('utf8');
  const expires = expiresOf(f.get('expires'));
  const entry: LaneEntry = {
    message,
    replyTo: replyTo === '' ? undefined : replyTo,
    correlationId: correlationId === '' ? undefined : correlationId,
    expires,
  };
  if (Number.isNaN(expires)) entry.badExpires = shownExpires(f.get('expires'));
  return entry;
}

type Entries = Array<[Buffer, Array<[Buffer, Buffer[] | null]>]> | null;

/**
 * `XGROUP CREATE … $ MKSTREAM`, a group that already exists being fine. Redis at maxmemory
 * (noeviction) refuses the command with OOM even for an existing group (7.0): the group is then
 * looked up (a read), and one that exists is fine too.
 */
export async function ensureGroup(conn: Redis, lane: Pick<LaneStream, 'key' | 'group'>): Promise<void> {
  try {
    await conn.call('XGROUP', 'CREATE', lane.key, lane.group, '$', 'MKSTREAM');
  } catch (err) {
    if (/BUSYGROUP/.test((err as Error).message)) return;
    if (/^OOM/.test((err as Error).message) && (await groupExists(conn, lane))) return;
    throw err;
  }
}

async function groupExists(conn: Redis, lane: Pick<LaneStream, 'key' | 'group'>): Promise<boolean> {
  if ((await conn.exists(lane.key)) === 0) return false;
  const groups = (await conn.xinfo('GROUPS', lane.key)) as unknown[][];
  return groups.some((g) => g.some((v, i) => i % 2 === 1 && g[i - 1] === 'name' && v === lane.group));
}

/**
 * `work`'s outcome, or a rejection once `stop` aborts. A reader's every wait on its connection goes
 * through this: ioredis settles nothing after a disconnect() that comes while it dials again (no
 * 'ready', no 'end', and a read sent before the loss stays held for a reconnect that never comes).
 */
export function unlessStopped<T>(stop: AbortSignal, work: Promise<T>): Promise<T> {
  return unlessInterrupted(work, (halt) => {
    const onAbort = () => halt(new Error('reader stopped'));
    stop.addEventListener('abort', onAbort, { once: true });
    if (stop.aborted) onAbort();
    return () => stop.removeEventListener('abort', onAbort);
  });
}

/** Waits for the connection to be usable (connects a lazy one); rejects once `stop` aborts. */
export async function ready(conn: Redis, stop: AbortSignal): Promise<void> {
  if (conn.status === 'wait') await unlessStopped(stop, conn.connect());
  else if (conn.status !== 'ready') await once(conn, 'ready', { signal: stop });
}

/** A pause of `ms` between failed reads, cut short when `stop` aborts. */
export function pause(ms: number, stop: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal: stop }).catch(() => undefined);
}

/**
 * Reads the lane until `lane.stop` aborts or it drains, re-creating the group when the broker lost
 * it. Entries are read without acknowledgement (NOACK: nothing pending, no XACK per request), so
 * the read under way is never cut short when the lane is left: its entries are for nobody else.
 */
export async function readLane(lane: LaneStream, consumer: string, onEntry: (flat: Buffer[]) => void): Promise<void> {
  const stop = lane.stop.signal;
  let failures = 0;
  while (!stop.aborted && !lane.draining) {
    try {
      await ready(lane.conn, stop);
      // Refused (an ACL without CLIENT): 0, no CLIENT UNBLOCK; leaving then waits for the read's own end.
      lane.clientId ??= await unlessStopped(stop, lane.conn.call('CLIENT', 'ID')).then(Number, (err: unknown) => {
        if (err instanceof ReplyError) return 0;
        throw err;
      });
      if (lane.draining || stop.aborted) break;
      const read = lane.conn.callBuffer('XREADGROUP', 'GROUP', lane.group, consumer, 'COUNT', '100', 'BLOCK', String(LANE_BLOCK_MS), 'NOACK', 'STREAMS', lane.key, '>');
      const res = (await unlessStopped(stop, read)) as Entries;
      failures = 0;
      for (const [, entries] of res ?? []) for (const [, flat] of entries) if (flat !== null) onEntry(flat);
    } catch (err) {
      if (stop.aborted || lane.draining) break;
      // The broker lost the group (restart without persistence): create it again.
      if (/NOGROUP/.test((err as Error).message)) await unlessStopped(stop, ensureGroup(lane.conn, lane)).catch(() => undefined);
      // Anything else on a live connection (e.g. the key deleted under us): back off, do not spin.
      else if (lane.conn.status === 'ready') await pause(backoffMs(failures++), stop);
    }
  }
}

/** Reads the client's own reply stream until `stop` aborts; from 0, so nothing between two XREADs is missed. */
export async function readReplies(conn: Redis, key: string, stop: AbortSignal, onReply: (correlationId: string | undefined, message: InboundMessage) => void): Promise<void> {
  let last = '0-0';
  let failures = 0;
  while (!stop.aborted) {
    try {
      await ready(conn, stop);
      const res = (await unlessStopped(stop, conn.callBuffer('XREAD', 'BLOCK', '0', 'STREAMS', key, last))) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      failures = 0;
      for (const [, entries] of res ?? []) {
        for (const [id, flat] of entries) {
          last = id.toString('utf8');
          const f = entryFields(flat);
          const data = f.get('data') ?? Buffer.alloc(0);
          onReply(f.get('correlation_id')?.toString('utf8'), { subject: key, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
        }
      }
    } catch {
      // Disconnected (or closing): the loop waits for 'ready' again. Refused on a live connection
      // (the key made another type under us): back off, do not spin.
      if (!stop.aborted && conn.status === 'ready') await pause(backoffMs(failures++), stop);
    }
  }
}
