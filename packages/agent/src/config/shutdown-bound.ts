/**
 * How shutdown_timeout_ms bounds a stop: the drain (and the wait for a broker away) ends at three
 * quarters of it, the rest left for the replies of the commands cut off, flushing and closing,
 * before run-agent gives up. A drain_timeout_ms past that bound is never reached: said at start.
 */
import type { AgentConfig } from './schema.js';

/** Milliseconds from a stop's start at which the drain is cut off, whatever drain_timeout_ms says. */
export function shutdownCutOffMs(config: Pick<AgentConfig, 'shutdown_timeout_ms'>): number {
  return (config.shutdown_timeout_ms * 3) / 4;
}

/** The start warning for a drain_timeout_ms the shutdown bound cuts short, or undefined. */
export function shutdownBoundWarning(config: Pick<AgentConfig, 'shutdown_timeout_ms' | 'commands'>): string | undefined {
  const shutdown = config.shutdown_timeout_ms;
  const drain = config.commands.drain_timeout_ms;
  if (drain <= shutdownCutOffMs(config)) return undefined;
  return (
    `shutdown_timeout_ms (FSBUS_SHUTDOWN_TIMEOUT_MS) ${shutdown} leaves too little room for commands.drain_timeout_ms (FSBUS_DRAIN_TIMEOUT_MS) ${drain}: ` +
    `a stop cuts the commands still in flight off at three quarters of shutdown_timeout_ms (${shutdownCutOffMs(config)} ms), before their drain deadline; ` +
    `set shutdown_timeout_ms to ${Math.ceil((drain * 4) / 3)} or more, or lower drain_timeout_ms`
  );
}
