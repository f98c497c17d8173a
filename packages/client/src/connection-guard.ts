/**
 * Ends a pending request as soon as it can no longer be answered, instead of letting it run into
 * its timeout: DISCONNECTED when the broker connection drops (a caller can tell "the bus is away"
 * from "the agent is slow"), CLOSED when the client is closed under it. The driver's own request
 * is aborted with it: one waiting in the driver's outbox is then never sent when the broker comes
 * back, so a command its caller was told failed does not run after all.
 *
 * One watch per client — a driver listener and a close hook, made on its first request — and a
 * request only joins its set: a listener, a hook, a promise and a race per request cost ≈1 µs
 * each time, at tens of thousands of requests a second.
 */
import type { Driver } from '@fsbus/transport';
import { ClientError, ClientErrorCode } from './errors.js';

/** The parts of the client a guarded request watches. */
export interface GuardedCore {
  readonly driver: Driver;
  isClosed(): boolean;
  /** Runs `fn` once when the client closes (close() waits for what it returns); returns a function that unregisters it. */
  onClose(fn: () => void | Promise<void>): () => void;
}

/** A request in flight: what it is (for its error), how to end it, and what its driver request listens to. */
interface Guarded {
  what: string;
  reject(err: ClientError): void;
  abort: AbortController;
  /** Stops forwarding the caller's own signal, if it gave one. */
  release: (() => void) | undefined;
}

/** A client's requests in flight, and the abort controller the next ones share. */
interface Watch {
  pending: Set<Guarded>;
  shared: AbortController | undefined;
  uses: number;
}

/**
 * Requests without a signal of their own share a controller, this many each: a controller per
 * request would cost as much as the rest of the guard, and one for all of them would grow a list
 * of listeners that every driver request walks (EventTarget's add and remove do).
 */
const SHARED_CALLS = 8;

const watches = new WeakMap<GuardedCore, Watch>();

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

function closedWhilePending(what: string): ClientError {
  return new ClientError(ClientErrorCode.CLOSED, `${what}: the client was closed while it was pending`);
}

/** The client's watch, on its driver and its close from the first request on. */
function watch(core: GuardedCore): Watch {
  const known = watches.get(core);
  if (known !== undefined) return known;
  const w: Watch = { pending: new Set(), shared: undefined, uses: 0 };
  const endAll = (error: (what: string) => ClientError): void => {
    const ended = [...w.pending];
    w.pending.clear();
    // Its controller is aborted below: the requests after this one need a fresh one.
    w.shared = undefined;
    for (const g of ended) {
      const err = error(g.what);
      g.reject(err);
      g.release?.();
      g.abort.abort(err);
    }
  };
  const offDriver = core.driver.on((e) => {
    if (e.type !== 'status' || (e.status !== 'reconnecting' && e.status !== 'closed')) return;
    // The driver of a closing client closes too: that is the close, not a lost broker.
    if (core.isClosed()) endAll(closedWhilePending);
    else endAll((what) => new ClientError(ClientErrorCode.DISCONNECTED, `${what}: the broker connection was lost (${e.status})`));
  });
  core.onClose(() => {
    offDriver();
    watches.delete(core);
    endAll(closedWhilePending);
  });
  watches.set(core, w);
  return w;
}

function sharedController(w: Watch): AbortController {
  if (w.shared === undefined || w.uses === SHARED_CALLS) {
    w.shared = new AbortController();
    w.uses = 0;
  }
  w.uses++;
  return w.shared;
}

/** The request's own controller, aborted with the caller's `signal` until `release` is called. */
function following(signal: AbortSignal): { abort: AbortController; release: (() => void) | undefined } {
  const abort = new AbortController();
  if (signal.aborted) {
    abort.abort(signal.reason);
    return { abort, release: undefined };
  }
  const onAbort = (): void => abort.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return { abort, release: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * Runs `run` (a driver request given the signal to pass on: the caller's `signal`, and the end of
 * the connection or of the client) unless the client is closed or the broker away.
 */
export function whileConnected<T>(core: GuardedCore, what: string, signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (core.isClosed()) return Promise.reject(new ClientError(ClientErrorCode.CLOSED, `${what}: the client is closed`));
  const status = core.driver.status;
  if (status !== 'connected') return Promise.reject(new ClientError(ClientErrorCode.DISCONNECTED, `${what}: the broker connection is ${status}`));
  const w = watch(core);
  const pending = w.pending;
  return new Promise<T>((resolve, reject) => {
    let guarded: Guarded;
    if (signal === undefined) guarded = { what, reject, abort: sharedController(w), release: undefined };
    else {
      const own = following(signal);
      guarded = { what, reject, abort: own.abort, release: own.release };
    }
    pending.add(guarded);
    // Whichever comes second — the answer or the end — finds the request gone and does nothing.
    const settle = (): boolean => {
      if (!pending.delete(guarded)) return false;
      guarded.release?.();
      return true;
    };
    let running: Promise<T>;
    try {
      running = run(guarded.abort.signal);
    } catch (err) {
      if (settle()) reject(asError(err));
      return;
    }
    running.then(
      (value) => {
        if (settle()) resolve(value);
      },
      (err: unknown) => {
        if (settle()) reject(asError(err));
      },
    );
  });
}
