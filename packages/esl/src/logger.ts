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
