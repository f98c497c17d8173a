/** Subject patterns over Redis Pub/Sub globs, stream-entry fields, and connection options. */
import type { Redis, RedisOptions } from 'ioredis';
import { readTlsMaterial } from '../../tls-material.js';
import type { DriverOptions, MessageHeaders } from '../../driver.js';
import { backoffMs } from '../base-driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { onceEvent, unlessInterrupted } from '../../interruptible.js';

/**
 * A contract pattern (`a.*.c`, `a.>`) as a PSUBSCRIBE glob. Redis globs cross dots, so the glob
 * may match more than the pattern: `subjectMatches` filters what arrives.
 */
export function toGlob(pattern: string): string {
  return pattern
    .split('.')
    .map((t) => (t === '*' || t === '>' ? '*' : t.replace(/[?*[\]\\]/g, (c) => `\\${c}`)))
    .join('.');
}

export function isWildcard(pattern: string): boolean {
  return pattern.split('.').some((t) => t === '*' || t === '>');
}

/** A flat [k, v, k, v…] stream entry as a map of Buffers. */
export function entryFields(flat: readonly Buffer[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!.toString('utf8'), flat[i + 1]!);
  return out;
}

export function parseHeaders(raw: Buffer | undefined): MessageHeaders | undefined {
  if (raw === undefined || raw.byteLength === 0) return undefined;
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return undefined;
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = String(x);
    return out;
  } catch {
    return undefined;
  }
}

/** ioredis options from a `redis://` / `rediss://` URL and the driver options. */
export function redisOptions(url: string, options: DriverOptions, connectTimeoutMs: number): Omit<RedisOptions, 'replyMapping'> {
  const u = new URL(url);
  const out: Omit<RedisOptions, 'replyMapping'> = {
    host: u.hostname,
    port: u.port === '' ? 6379 : Number(u.port),
    connectTimeout: connectTimeoutMs,
    lazyConnect: true,
    // RESP2: the reply shapes (XREAD's [[key, entries]]) of every Redis version, HELLO not needed.
    protocol: 2,
    // Our outbox bounds what waits while Redis is away; ioredis's own queue is unbounded.
    enableOfflineQueue: false,
    maxRetriesPerRequest: null,
    autoResubscribe: false,
    retryStrategy: (attempt: number) => backoffMs(attempt),
    connectionName: (options.name ?? 'fsbus').replace(/\s/g, '_'),
  };
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') out.db = Number(db);
  const user = options.auth?.user ?? (u.username === '' ? undefined : decodeURIComponent(u.username));
  const password = options.auth?.password ?? options.auth?.token ?? (u.password === '' ? undefined : decodeURIComponent(u.password));
  if (user !== undefined && user !== '') out.username = user;
  if (password !== undefined && password !== '') out.password = password;
  const t = options.tls;
  if (u.protocol === 'rediss:' || t === true) out.tls = {};
  if (typeof t === 'object') out.tls = readTlsMaterial(t);
  return out;
}

/**
 * Whether ioredis writes a command into `conn`'s socket now: its own test, before it refuses one
 * unsent with "Stream isn't writeable and enableOfflineQueue options is false". Between Redis
 * closing the socket (a crash, CLIENT KILL) and the socket's 'close', ioredis still says 'ready'.
 */
export function takesCommands(conn: Redis): boolean {
  return conn.status === 'ready' && conn.stream.writable;
}

/** Resolves when `work` settles (either way) or `conn` closes, whichever comes first (`work` is then left to itself). */
export function untilClosed(conn: Redis, work: Promise<unknown>): Promise<void> {
  return unlessInterrupted(work, (stop) => onceEvent(conn, 'close', () => stop(new Error('closed')))).then(
    () => undefined,
    () => undefined,
  );
}

/**
 * `command`'s outcome, or FSBUS_ERR_TRANSPORT_DISCONNECTED if `conn` closes first: ioredis would
 * hold the command for a reconnect, however far off, and a caller waiting on it would wait as long.
 */
export function orLost<T>(conn: Redis, command: Promise<T>): Promise<T> {
  const lost = () => new TransportError(TransportErrorCode.DISCONNECTED, 'the connection to Redis was lost before it answered');
  return unlessInterrupted(command, (stop) => onceEvent(conn, 'close', () => stop(lost())));
}

/**
 * Ends a connection that never came up (connect() failed or gave up), leaving nothing behind: no
 * reconnect, its socket destroyed rather than ended (a server that stalls may never answer the FIN,
 * and ioredis would hold the socket and a timer for `disconnectTimeout`). Resolves at its 'end'.
 */
export async function abandon(conn: Redis): Promise<void> {
  if (conn.status === 'end') return;
  // Not events.once: an 'error' said while it closes (the connect's own 'error' listener hears it) must not end the wait.
  const ended = new Promise<void>((resolve) => conn.once('end', () => resolve()));
  conn.disconnect();
  // Not there yet while ioredis is about to dial (it then gives up on its own).
  (conn.stream as Redis['stream'] | undefined)?.destroy();
  await ended;
}
