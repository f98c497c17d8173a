/** What becomes of a listener's throw or rejection, on every emitter of the library; an unheard error's one process warning per kind. */
import { EslListenerError } from './errors.js';
import type { EslLogger } from './logger.js';

/** The kinds of unheard error already made a process warning in this process. */
const warned = new Set<string>();

/**
 * A process warning of `err` (Node prints it to stderr), unless one of the same `kind` was given
 * already in this process: an error that repeats (on every event, on every reconnect attempt) logs
 * every time but warns once. Also for the client's reconnect-time failures nobody hears.
 */
export function warnOnce(kind: string, err: Error): void {
  if (warned.has(kind)) return;
  warned.add(kind);
  process.emitWarning(err);
}

/**
 * An 'error' (EslListenerError) when the endpoint has an 'error' listener. Unheard — no 'error'
 * listener, or the 'error' listener itself threw — it is logged, every time, and made a process
 * warning once per kind of listener: the default logger is silent, and an application's bug must
 * not vanish, but a listener that throws on every event must not write a warning per event. Node
 * prints warnings to stderr (`--no-warnings` or an 'error' listener silence it); never a crash.
 */
export function reportListenerError(thrown: unknown, event: string, emitError: (err: EslListenerError) => boolean, logger: EslLogger): void {
  const err = new EslListenerError(event, thrown);
  // An 'error' listener's own throw is not emitted again: it would call that listener again.
  if (event !== 'error' && emitError(err)) return;
  logger.error({ err }, err.message);
  // `onChannel <uuid>: NAME` counts as `onChannel: NAME`.
  warnOnce(`listener ${event.replace(/^onChannel \S+:/, 'onChannel:')}`, err);
}
