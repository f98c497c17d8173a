/**
 * The minimal logger the library accepts (pino-compatible shape). Silent by default: a
 * library must not write to the console on its own. Never given passwords or payloads.
 */
export interface EslLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  /** pino's: a logger whose every line carries `bindings`. Optional: without it they are merged into each line. */
  child?(bindings: Record<string, unknown>): EslLogger;
}

const noop = (): void => undefined;

export const silentLogger: EslLogger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * `logger` with `bindings` on every line: its own child() when it has one (pino binds them once),
 * else a wrapper that puts them in front of each line's fields (and has a child() of its own).
 */
export function withBindings(logger: EslLogger, bindings: Record<string, unknown>): EslLogger {
  if (logger === silentLogger) return logger;
  if (typeof logger.child === 'function') return logger.child(bindings);
  return {
    debug: (obj, msg) => logger.debug({ ...bindings, ...obj }, msg),
    info: (obj, msg) => logger.info({ ...bindings, ...obj }, msg),
    warn: (obj, msg) => logger.warn({ ...bindings, ...obj }, msg),
    error: (obj, msg) => logger.error({ ...bindings, ...obj }, msg),
    child: (more) => withBindings(logger, { ...bindings, ...more }),
  };
}

/**
 * An error as log fields without its stack: for lines that repeat with every reconnect, where a
 * stack trace (always the library's own socket or parser code) would only bury the reason.
 */
export function errorFields(err: Error | undefined): { reason?: string; code?: string } {
  if (err === undefined) return {};
  let reason = err.message;
  // The cause says why (a socket error, the protocol error that dropped the connection).
  for (let c: unknown = err.cause, depth = 0; c instanceof Error && depth < 3; c = c.cause, depth++) {
    if (!reason.includes(c.message)) reason += `: ${c.message}`;
  }
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? { reason, code } : { reason };
}
