/** Request-body and response helpers of the control API. */
import type { ServerResponse } from 'node:http';
import type { Simulator } from '../simulator.js';
import { SimConfigError, SimErrorCode } from '../listener/errors.js';

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

/** One answer per request, always: a value JSON cannot carry becomes a 500 naming why. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  let text: string;
  try {
    text = JSON.stringify(value ?? {});
  } catch (err) {
    status = 500;
    text = JSON.stringify({ error: `the result cannot be sent as JSON: ${(err as Error).message}`, code: SimErrorCode.CONTROL });
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
