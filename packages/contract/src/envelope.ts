/**
 * The reply envelope (SPEC §3.3). Key order matters to byte-comparing clients and to
 * mod_event_agent compatibility: success, status, message, timestamp, node_id, then data, code,
 * correlation_id.
 */
import type { BusErrorCode } from './errors.js';
import { encodeUtf8 } from './utf8.js';

export interface ReplyEnvelope {
  success: boolean;
  status: 'success' | 'error';
  message: string;
  /** Microseconds since the epoch. */
  timestamp: number;
  node_id: string;
  data?: unknown;
  /** A BusErrorCode, or another package's FSBUS_ERR_* code. */
  code?: string;
  correlation_id?: string;
}

/** Microseconds since the epoch, as an integer JSON number. */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export interface ReplyInit {
  nodeId: string;
  message: string;
  data?: unknown;
  correlationId?: string | undefined;
  /** @default nowMicros() */
  timestamp?: number;
}

export function successReply(init: ReplyInit): ReplyEnvelope {
  return build(true, init, undefined);
}

export function errorReply(init: ReplyInit & { code: BusErrorCode }): ReplyEnvelope {
  return build(false, init, init.code);
}

function build(success: boolean, init: ReplyInit, code: string | undefined): ReplyEnvelope {
  // Literal construction in this order fixes the JSON key order.
  const reply: ReplyEnvelope = {
    success,
    status: success ? 'success' : 'error',
    message: init.message,
    timestamp: init.timestamp ?? nowMicros(),
    node_id: init.nodeId === '' ? 'unknown' : init.nodeId,
  };
  if (init.data !== undefined) reply.data = init.data;
  if (code !== undefined) reply.code = code;
  if (init.correlationId !== undefined) reply.correlation_id = init.correlationId;
  return reply;
}

export function encodeReply(reply: ReplyEnvelope): Uint8Array {
  return encodeUtf8(JSON.stringify(reply));
}

/** Parses reply bytes; throws on anything that is not an envelope (a client-side check). */
export function decodeReply(bytes: Uint8Array | string): ReplyEnvelope {
  const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);
  const value: unknown = JSON.parse(text);
  if (!isReplyEnvelope(value)) throw new TypeError('not an fsbus reply envelope');
  return value;
}

export function isReplyEnvelope(value: unknown): value is ReplyEnvelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['success'] === 'boolean' &&
    (v['status'] === 'success' || v['status'] === 'error') &&
    typeof v['message'] === 'string' &&
    typeof v['timestamp'] === 'number' &&
    typeof v['node_id'] === 'string'
  );
}
