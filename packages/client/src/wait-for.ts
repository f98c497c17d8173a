/**
 * `events.waitFor`: the next event of one channel, over an event stream opened at once. The
 * stream's subscription is made before waitFor returns (on NATS it reaches the broker before any
 * request the caller sends next on the same connection; `ready` says when it is in place on every
 * broker), so the caller starts the wait, then does what triggers the event, then awaits it: an
 * event that comes between the two is not missed. The stream is closed on every path.
 */
import { ClientError, ClientErrorCode } from './errors.js';
import type { BusEvent, EventPattern } from './event.js';
import type { EventStream } from './event-stream.js';
import { DEFAULT_LONG_TIMEOUT_MS, type EventsOptions } from './types.js';
import { channelUuidOption, functionOption, objectOption, signalOption, timeoutOption } from './validate.js';

export interface WaitForOptions {
  /** The channel (the event's `Unique-ID`). */
  uuid: string;
  /** An event name (`CHANNEL_ANSWER`) or subject pattern, or several. */
  event: EventPattern | readonly EventPattern[];
  /** Only this node's events. @default the handle's node, else any */
  node?: string;
  /** Resolve only for an event this accepts as well (`e => e.header('Application') === 'echo'`). */
  match?: (event: BusEvent) => boolean;
  /** @default 30000 (DEFAULT_LONG_TIMEOUT_MS) */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The wait: a promise of the event, and `ready`, resolved once the subscription is in place at the broker. */
export type EventWait = Promise<BusEvent> & { readonly ready: Promise<void> };

type Open = (pattern: EventPattern | readonly EventPattern[], options: EventsOptions) => EventStream;

export function waitForEvent(open: Open, isClosed: () => boolean, o: WaitForOptions): EventWait {
  let stream: EventStream;
  let uuid: string;
  let timeoutMs: number;
  let signal: AbortSignal | undefined;
  let match: ((event: BusEvent) => boolean) | undefined;
  try {
    objectOption(o, 'waitFor: options');
    uuid = channelUuidOption(o.uuid, 'waitFor: uuid');
    timeoutMs = timeoutOption(o.timeoutMs, 'waitFor: timeoutMs') ?? DEFAULT_LONG_TIMEOUT_MS;
    signal = signalOption(o.signal, 'waitFor: signal');
    match = functionOption(o.match, 'waitFor: match');
    stream = open(o.event, o.node === undefined ? {} : { node: o.node });
  } catch (err) {
    const failed = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    const ready = failed.then(() => undefined);
    ready.catch(() => undefined);
    return Object.assign(failed, { ready });
  }
  const what = `waitFor ${String(o.event)} of ${uuid}`;
  const wait = new Promise<BusEvent>((resolve, reject) => {
    const aborted = (): ClientError => new ClientError(ClientErrorCode.ABORTED, `${what} was aborted`);
    // close() does not reject; nobody awaits it here.
    const close = (): void => void stream.close().catch(() => undefined);
    if (signal?.aborted === true) {
      close();
      return reject(aborted());
    }
    let done = false;
    const finish = (err: Error | undefined, event?: BusEvent): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      close();
      if (err !== undefined) reject(err);
      else resolve(event!);
    };
    const onAbort = (): void => finish(aborted());
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => finish(new ClientError(ClientErrorCode.TIMEOUT, `${what}: no such event within ${timeoutMs} ms`)), timeoutMs);
    const read = async (): Promise<void> => {
      for (;;) {
        const next = await stream.next();
        if (done) return;
        if (next.done === true) {
          // Ended from outside: the client closed (or its connection, which fails the stream instead).
          throw isClosed()
            ? new ClientError(ClientErrorCode.CLOSED, `${what}: the client is closed`)
            : new ClientError(ClientErrorCode.DISCONNECTED, `${what}: the event stream ended`);
        }
        const e = next.value;
        if (e.uuid === uuid && (match === undefined || match(e))) return finish(undefined, e);
      }
    };
    read().catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
  });
  return Object.assign(wait, { ready: stream.ready });
}
