/**
 * `events.waitFor`: the next event of one channel, over an event stream opened at once. The
 * stream's subscription is made before waitFor returns (on NATS it reaches the broker before any
 * request the caller sends next on the same connection; `ready` says when it is in place on every
 * broker), so the caller starts the wait, then does what triggers the event, then awaits it: an
 * event that comes between the two is not missed. The stream is closed on every path.
 *
 * An event lost on its way is not sent again, so the wait also ends, at once, on what says the
 * event may have been lost: its node's agent restarted (fsbus::agent_start: the new agent never saw
 * what FreeSWITCH sent meanwhile), announced a loss (fsbus::events_dropped, fsbus::events_resumed),
 * or this client's connection was lost (the stream's gap). Without a node (a wait on any node's
 * events) any node's notice counts: the channel may be on it.
 */
import { AGENT_START_SUBCLASS, EVENTS_DROPPED_SUBCLASS, EVENTS_RESUMED_SUBCLASS, slugNodeId } from '@fsbus/contract';
import { watchAgentNotice, type RestartWatcher } from './agent-restarts.js';
import type { ClientCore } from './commands.js';
import { ClientError, ClientErrorCode } from './errors.js';
import type { BusEvent, EventPattern } from './event.js';
import type { EventStream } from './event-stream.js';
import { DEFAULT_LONG_TIMEOUT_MS, type EventsOptions } from './types.js';
import { channelUuidOption, functionOption, nodeOption, objectOption, signalOption, timeoutOption } from './validate.js';

/** What says the awaited event may have been lost, as `data.reason` names it. */
const LOSS_NOTICES: ReadonlyArray<readonly [subclass: string, what: string]> = [
  [AGENT_START_SUBCLASS, 'restarted'],
  [EVENTS_DROPPED_SUBCLASS, 'dropped events'],
  [EVENTS_RESUMED_SUBCLASS, "lost FreeSWITCH's events"],
];

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

/** `defaultNode`: the handle's node, else undefined (any node). */
export function waitForEvent(core: ClientCore, open: Open, defaultNode: string | undefined, o: WaitForOptions): EventWait {
  let stream: EventStream;
  let uuid: string;
  let timeoutMs: number;
  let signal: AbortSignal | undefined;
  let match: ((event: BusEvent) => boolean) | undefined;
  let node: string | undefined;
  // Set by the wait below: a notice or gap can only come after it started (they are delivered asynchronously).
  let lost: (reason: string, message: string, nodeId: string | undefined) => void = () => undefined;
  const unwatch: Array<() => void> = [];
  try {
    objectOption(o, 'waitFor: options');
    uuid = channelUuidOption(o.uuid, 'waitFor: uuid');
    timeoutMs = timeoutOption(o.timeoutMs, 'waitFor: timeoutMs') ?? DEFAULT_LONG_TIMEOUT_MS;
    signal = signalOption(o.signal, 'waitFor: signal');
    match = functionOption(o.match, 'waitFor: match');
    node = nodeOption(o.node, 'waitFor: node') ?? defaultNode;
    // Watched before the stream subscribes, so the stream's `ready` (its flush) covers these too.
    for (const [subclass, what] of LOSS_NOTICES) {
      const watcher: RestartWatcher = {
        node: node === undefined ? undefined : slugNodeId(node),
        anyNode: node === undefined,
        restarted: (nodeId) => lost(subclass, `the agent on node '${node ?? nodeId}' ${what} during the wait (it announced ${subclass})`, node ?? nodeId),
      };
      unwatch.push(watchAgentNotice(core, subclass, watcher));
    }
    const onGap = (): void => lost('stream_gap', "this client's broker connection was lost during the wait (an event stream gap)", node);
    stream = open(o.event, o.node === undefined ? { onGap } : { node: o.node, onGap });
  } catch (err) {
    for (const off of unwatch) off();
    const failed = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    const ready = failed.then(() => undefined);
    ready.catch(() => undefined);
    return Object.assign(failed, { ready });
  }
  const what = `waitFor ${String(o.event)} of ${uuid}`;
  const wait = new Promise<BusEvent>((resolve, reject) => {
    const aborted = (): ClientError => new ClientError(ClientErrorCode.ABORTED, `${what} was aborted`);
    // close() does not reject; nobody awaits it here.
    const close = (): void => {
      for (const off of unwatch) off();
      void stream.close().catch(() => undefined);
    };
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
    // The event may have been published while nobody could pass it on: it does not come now. The
    // caller reconciles (execute_app's restarted wait says the same, with the same code).
    lost = (reason, message, nodeId) => {
      const on = nodeId === undefined ? ' on its node' : ` on node '${nodeId}'`;
      const full = `${what}: ${message}: the event may have been lost and is not sent again; reconcile: uuid_exists ${uuid}${on} (still up: wait again; gone: take its outcome from FreeSWITCH's CDR, mod_cdr_csv / mod_json_cdr)`;
      finish(new ClientError(ClientErrorCode.DISCONNECTED, full, { data: { uuid, event: o.event, ...(nodeId === undefined ? {} : { node: nodeId }), reason } }));
    };
    const read = async (): Promise<void> => {
      for (;;) {
        const next = await stream.next();
        if (done) return;
        if (next.done === true) {
          // Ended from outside: the client closed (or its connection, which fails the stream instead).
          throw core.isClosed()
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
