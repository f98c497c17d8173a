/**
 * Checks of numeric options before anything is sent. From plain JavaScript a `NaN` or a string
 * would otherwise reach a timer or a buffer bound and quietly mean "for ever" or "unbounded".
 */
import { ClientError, ClientErrorCode } from './errors.js';

/** Node's timers cannot wait longer (a longer delay fires at once, with a warning). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** `value` unless it is not a delay a timer can keep: finite, > 0, at most MAX_TIMEOUT_MS. */
export function timeoutOption(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${name} must be a number of milliseconds > 0 and <= ${MAX_TIMEOUT_MS}, got ${String(value)}`);
  }
  return value;
}

/** `value` unless it is not a whole number >= 1. */
export function countOption(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${name} must be a whole number >= 1, got ${String(value)}`);
  }
  return value;
}

/** `command` unless it is not a non-empty string. */
export function commandOption(command: unknown): string {
  if (typeof command !== 'string' || command.trim() === '') throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, 'command must be a non-empty string');
  return command;
}
