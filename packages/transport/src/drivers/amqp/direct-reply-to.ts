/**
 * RabbitMQ's direct reply-to names, as a server sees them in a request's `reply_to`: the broker
 * rewrites the requester's `amq.rabbitmq.reply-to` into `amq.rabbitmq.reply-to.<pid>.<key>`, where
 * `<pid>` is base64 of the requester channel's Erlang pid in the external term format and `<key>`
 * base64 of a random id (every RabbitMQ from 3.x to 4.2: rabbit_direct_reply_to.erl,
 * rabbit_volatile_queue.erl).
 *
 * RabbitMQ before 4.2 decodes `<pid>` with no guard when a reply is published to such a name: one
 * that is not base64 of a pid (or names a node outside the cluster) crashes the publisher's
 * channel and RabbitMQ closes its whole CONNECTION with 541 INTERNAL_ERROR. A name is checked here
 * before anything is published to it; one RabbitMQ cannot have made is no reply address. A
 * well-formed pid on a node the cluster does not have cannot be told from here: that one still
 * costs a connection, once (publish-confirms.ts: a reply is never sent twice).
 */

/** RabbitMQ's direct reply-to pseudo-queue. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
const PREFIX = `${DIRECT_REPLY_TO}.`;
/** AMQP short string: the most a routing key can be. */
const MAX_ROUTING_KEY_BYTES = 255;
/** Canonical base64, as Erlang's base64:encode writes it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** External term format tags (erl_ext_dist). */
const VERSION_MAGIC = 131;
const NEW_PID_EXT = 88;
const PID_EXT = 103;
const ATOM_EXT = 100;
const SMALL_ATOM_EXT = 115;
const ATOM_UTF8_EXT = 118;
const SMALL_ATOM_UTF8_EXT = 119;

/**
 * Why `replyTo` cannot be the direct reply-to name of a live requester (undefined when it may be,
 * or is no direct reply-to name at all: a plain queue name is the requester's business).
 */
export function directReplyToProblem(replyTo: string): string | undefined {
  if (replyTo === DIRECT_REPLY_TO) return 'the bare pseudo-queue: RabbitMQ hands a server the requester-specific name';
  if (!replyTo.startsWith(PREFIX)) return undefined;
  if (Buffer.byteLength(replyTo) > MAX_ROUTING_KEY_BYTES) return `over ${MAX_ROUTING_KEY_BYTES} bytes`;
  // RabbitMQ 3.x splits on dots, empty pieces left out (string:tokens).
  const parts = replyTo.slice(PREFIX.length).split('.').filter((p) => p !== '');
  if (parts.length !== 2) return 'not <pid>.<key>';
  const [pid, key] = parts as [string, string];
  if (!BASE64.test(pid) || !BASE64.test(key)) return 'not base64';
  if (!isErlangPid(Buffer.from(pid, 'base64'))) return 'not an Erlang pid';
  return undefined;
}

/** A pid in the external term format, nothing before or after it, on a node named `name@host`. */
function isErlangPid(b: Buffer): boolean {
  if (b.length < 3 || b[0] !== VERSION_MAGIC) return false;
  const tag = b[1];
  if (tag !== NEW_PID_EXT && tag !== PID_EXT) return false;
  let at = 2;
  const atomTag = b[at++];
  let len: number;
  if (atomTag === ATOM_EXT || atomTag === ATOM_UTF8_EXT) {
    if (b.length < at + 2) return false;
    len = b.readUInt16BE(at);
    at += 2;
  } else if (atomTag === SMALL_ATOM_EXT || atomTag === SMALL_ATOM_UTF8_EXT) {
    if (b.length < at + 1) return false;
    len = b[at++]!;
  } else {
    return false;
  }
  const node = b.subarray(at, at + len).toString('latin1');
  at += len;
  // ID and serial (4 bytes each), then the creation: 4 bytes (NEW_PID_EXT) or 1 (PID_EXT).
  const rest = tag === NEW_PID_EXT ? 12 : 9;
  return node.length === len && /^[^@]+@[^@]+$/.test(node) && b.length === at + rest;
}

/**
 * `replyTo` for a log line: a direct reply-to name without its key (whoever holds the whole name
 * can send into that requester's channel), cut short; other addresses as they are, cut short.
 */
export function shownReplyAddress(replyTo: string): string {
  let shown = replyTo;
  if (replyTo.startsWith(PREFIX)) {
    const dot = replyTo.lastIndexOf('.');
    if (dot >= PREFIX.length) shown = `${replyTo.slice(0, dot)}.***`;
  }
  return shown.length > 120 ? `${shown.slice(0, 120)}…` : shown;
}
