/** switch_log.c's log levels of 1.10.12 and switch_log_str2level, for the log command and the log applications. */

// switch_log.c's LEVELS: DISABLE is -1, CONSOLE 0 … DEBUG 7.
const LEVEL_NAMES = ['DISABLE', 'CONSOLE', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'] as const;
/** SWITCH_LOG_INVALID. */
export const LOG_INVALID = 64;

/** switch_log_str2level: a number (clamped) or a level name; LOG_INVALID otherwise. */
export function logStr2Level(text: string): number {
  if (/^[-+]?[0-9.]*$/.test(text)) {
    const n = Number.parseInt(text, 10) || 0;
    return n > LOG_INVALID ? LOG_INVALID - 1 : n < 0 ? 0 : n;
  }
  const at = LEVEL_NAMES.findIndex((l) => l === text.toUpperCase());
  return at < 0 ? LOG_INVALID : at - 1;
}
