/** What becomes of a listener's throw or rejection, on every emitter of the library. */
import { EslListenerError } from './errors.js';
import type { EslLogger } from './logger.js';

/** The kinds of listener already warned about in this process: `onChannel <uuid>: NAME` counts as `onChannel: NAME`. */
const warned = new Set<string>();

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
  const kind = event.replace(/^onChannel \S+:/, 'onChannel:');
  if (warned.has(kind)) return;
  warned.add(kind);
  process.emitWarning(err);
}
