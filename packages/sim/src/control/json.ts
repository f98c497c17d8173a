/** Request-body helpers of the control API. */
import type { Simulator } from '../simulator.js';
import { SimConfigError } from '../listener/errors.js';

export type JsonObject = Record<string, unknown>;
export type Route = (body: JsonObject, sim: Simulator) => unknown;

export function str(body: JsonObject, key: string, fallback?: string): string {
  const v = body[key];
  if (typeof v === 'string') return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new SimConfigError(`'${key}' must be a string`);
}

export function num(body: JsonObject, key: string, fallback?: number): number {
  const v = body[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new SimConfigError(`'${key}' must be a number`);
}

