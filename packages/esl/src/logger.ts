/**
 * The minimal logger the library accepts (pino-compatible shape). Silent by default: a
 * library must not write to the console on its own. Never given passwords or payloads.
 */
export interface EslLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => undefined;

export const silentLogger: EslLogger = { debug: noop, info: noop, warn: noop, error: noop };

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
