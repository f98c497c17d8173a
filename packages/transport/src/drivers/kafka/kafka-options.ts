/** DriverOptions → @platformatic/kafka client options (bootstrap list, TLS, SASL from env-fed auth). */
import { readTlsMaterial } from '../../tls-material.js';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { Consumer, type BaseOptions, type ConsumerOptions } from '@platformatic/kafka';
import type { DriverOptions } from '../../driver.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../defaults.js';

/** First reconnect probe delay; doubled up to the max, with jitter. @default 250 */
export const RECONNECT_MIN_MS = 250;
/** @default 5000 */
export const RECONNECT_MAX_MS = 5000;

/** `kafka://a:9092,b:9092`, `kafka+ssl://…` or bare `host:port` entries → `host:port` list. */
export function bootstrapList(urls: readonly string[]): string[] {
  return urls
    .flatMap((u) => u.split(','))
    .map((u) => u.trim().replace(/^[a-z+]+:\/\//i, '').replace(/\/.*$/, ''))
    .filter((u) => u !== '')
    .map((u) => (/:\d+$/.test(u) ? u : `${u}:9092`));
}

function tlsOptions(options: DriverOptions): TlsConnectionOptions | undefined {
  const t = options.tls;
  const sslScheme = options.urls.some((u) => /^kafka\+(ssl|tls):/i.test(u));
  if (t === undefined || t === false) return sslScheme ? {} : undefined;
  if (t === true) return {};
  return readTlsMaterial(t);
}

/** Options shared by the producer, the admin and every consumer of one driver. */
export function baseOptions(options: DriverOptions, clientId: string): BaseOptions {
  const out: BaseOptions = {
    clientId,
    bootstrapBrokers: bootstrapList(options.urls),
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // Our own reconnect loop and outbox take over from the library's retries.
    retries: 1,
    retryDelay: 200,
    timeout: 10_000,
    autocreateTopics: false,
  };
  const tls = tlsOptions(options);
  if (tls !== undefined) out.tls = tls;
  const auth = options.auth;
  if (auth?.user !== undefined && auth.user !== '' && auth.password !== undefined) {
    out.sasl = { mechanism: 'PLAIN', username: auth.user, password: auth.password };
  } else if (auth?.token !== undefined && auth.token !== '') {
    out.sasl = { mechanism: 'OAUTHBEARER', token: auth.token };
  }
  return out;
}

export type KafkaConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

/**
 * A consumer with an 'error' listener from birth. The library emits 'error' on the consumer itself
 * when a group rejoin fails (after a rebalance, or when the consumer is closed while rejoining): an
 * EventEmitter with no listener throws that, which killed the process.
 */
export function newConsumer(options: ConsumerOptions<Buffer, Buffer, Buffer, Buffer>, onError: (err: Error) => void): KafkaConsumer {
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>(options);
  consumer.on('error', onError);
  return consumer;
}

/**
 * Closes a consumer so that nothing of it outlives the close. The library's close() leaves the
 * group but keeps the consumer's membership flag set: a heartbeat or group rejoin under way (a
 * rebalance, when another member left just before) then finishes after the close and schedules
 * new heartbeats (every 500 ms, failing for good on closed connections) and a stall timer, which
 * kept a test process alive for minutes. leaveGroup() clears the flag first, which ends them.
 */
export async function closeConsumer(consumer: KafkaConsumer): Promise<void> {
  // Its error (not a member, a broker away) changes nothing: close() follows either way.
  await new Promise<void>((resolve) => consumer.leaveGroup(true, () => resolve()));
  await consumer.close(true);
}

/**
 * @platformatic/kafka calls Promise.withResolvers (Node ≥ 22); fsbus supports Node 20.10+, so the
 * driver supplies the one missing function when the runtime lacks it.
 */
export function ensurePromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (v: T | PromiseLike<T>) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
}

/**
 * Calls `probe` after a short delay, then again with jittered exponential backoff while `pending()`
 * holds, until it resolves: then `up()`. cancel() stops it (driver closing).
 */
export function probeUntilUp(probe: () => Promise<unknown>, pending: () => boolean, up: () => void): { cancel(): void } {
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const run = () => {
    if (cancelled || !pending()) return;
    probe().then(
      () => {
        if (!cancelled && pending()) up();
      },
      () => {
        if (cancelled) return;
        timer = setTimeout(run, Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt++) * (0.5 + Math.random() / 2));
      },
    );
  };
  timer = setTimeout(run, RECONNECT_MIN_MS);
  return {
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}
