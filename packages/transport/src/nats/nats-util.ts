/** Small mappings between nats.js and the Driver interface. */
import { MsgHdrsImpl, type Msg } from '@nats-io/transport-node';
import type { InboundMessage, MessageHeaders } from '../driver.js';
import { EXPIRES_HEADER } from '../expires.js';

/**
 * Headers whose wire bytes are made once: a request's are measured against the server's
 * max_payload before it is sent, and nats.js's publish encodes them again (it takes any MsgHdrs
 * and calls `encode()`). Built by toNatsHeaders and never changed after.
 */
class EncodedOnce extends MsgHdrsImpl {
  #bytes: Uint8Array | undefined;

  constructor(bytes?: Uint8Array) {
    super();
    this.#bytes = bytes;
  }

  override encode(): Uint8Array {
    return (this.#bytes ??= super.encode());
  }
}

export function toNatsHeaders(h: MessageHeaders): MsgHdrsImpl {
  const out = new EncodedOnce();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}

/** The bytes of deadlineHeaders around the value. */
const DEADLINE_HEAD = Buffer.from(`NATS/1.0\r\n${EXPIRES_HEADER}: `, 'latin1');
const HEADERS_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * The headers of a request that carries only its deadline (most requests): the bytes
 * toNatsHeaders makes, written directly. The name is ours and the value digits, so
 * MsgHdrsImpl's per-key checks and its string encoder — 1.3 µs a request, more than the rest of
 * the mux's work — have nothing to catch; this takes ≈0.2 µs.
 */
export function deadlineHeaders(expires: string): MsgHdrsImpl {
  const at = DEADLINE_HEAD.length;
  const bytes = new Uint8Array(at + expires.length + HEADERS_END.length);
  bytes.set(DEADLINE_HEAD);
  for (let i = 0; i < expires.length; i++) {
    const c = expires.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return toNatsHeaders({ [EXPIRES_HEADER]: expires }); // not digits: checked the general way
    bytes[at + i] = c;
  }
  bytes.set(HEADERS_END, at + expires.length);
  const out = new EncodedOnce(bytes);
  out.headers.set(EXPIRES_HEADER, [expires]);
  return out;
}

export function toInbound(msg: Msg): InboundMessage {
  if (msg.headers === undefined) return { subject: msg.subject, data: msg.data };
  const headers: Record<string, string> = {};
  for (const [k, v] of msg.headers) headers[k] = v.join(',');
  return { subject: msg.subject, data: msg.data, headers };
}

export async function drainSub(sub: { drain(): Promise<void>; isClosed(): boolean; unsubscribe(): void }): Promise<void> {
  if (sub.isClosed()) return;
  try {
    await sub.drain();
  } catch {
    sub.unsubscribe();
  }
}

/**
 * nats-server's default `max_control_line`. A PUB or SUB line longer than it makes the server
 * close the connection — for a subscription, again after every reconnect (nats.js re-sends it),
 * taking every other request on that connection down with it. The server does not announce its
 * own value, so the default bounds what this driver sends.
 */
export const MAX_CONTROL_LINE = 4096;
/** Room for the verb, reply or queue group, sizes, sid and separators of one control line. */
const CONTROL_LINE_ROOM = 256;

/** Why a subject (or pattern) cannot go on a control line, or undefined. */
export function controlLineProblem(subject: string): string | undefined {
  // Fast path: even at 3 bytes per UTF-16 unit it fits.
  if (subject.length * 3 + CONTROL_LINE_ROOM <= MAX_CONTROL_LINE) return undefined;
  const bytes = Buffer.byteLength(subject);
  if (bytes + CONTROL_LINE_ROOM <= MAX_CONTROL_LINE) return undefined;
  return `the subject is ${bytes} bytes, over the ${MAX_CONTROL_LINE - CONTROL_LINE_ROOM} a NATS control line leaves it (nats-server closes the connection past max_control_line, ${MAX_CONTROL_LINE} bytes by default)`;
}

/**
 * How every JetStream manager and context of the driver is made. `checkAPI: false`: nats.js
 * otherwise asks `$JS.API.INFO` first, which a user allowed only its stream's subjects may not
 * publish to (a permission refusal instead of the call's own answer); each call that follows
 * fails clearly by itself when JetStream is off.
 */
export const JS_OPTIONS = { timeout: 5000, checkAPI: false } as const;
