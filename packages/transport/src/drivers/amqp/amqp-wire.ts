/** Between the driver's messages and AMQP's: inbound messages, routing keys, the broker's refusals. */
import type { Message } from 'amqplib';
import { CORRELATION_ID_HEADER } from '@fsbus/contract';
import type { InboundMessage, MessageHeaders } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';

export function toInbound(msg: Message): InboundMessage {
  const data = new Uint8Array(msg.content.buffer, msg.content.byteOffset, msg.content.byteLength);
  const raw = msg.properties.headers;
  if (raw === undefined || Object.keys(raw).length === 0) return { subject: msg.fields.routingKey, data };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  return { subject: msg.fields.routingKey, data, headers: headers };
}

/**
 * A served request, its `correlation_id` property handed to the agent as CORRELATION_ID_HEADER: its
 * forward_to copies carry it as the direct reply does (a client may send it only there, not in the
 * body). A header already there is kept: a relaying agent's hand-off carries its requester's id.
 */
export function servedInbound(msg: Message): InboundMessage {
  const inbound = toInbound(msg);
  const id = msg.properties.correlationId as unknown;
  if (typeof id !== 'string' || id === '' || inbound.headers?.[CORRELATION_ID_HEADER] !== undefined) return inbound;
  return { ...inbound, headers: { ...inbound.headers, [CORRELATION_ID_HEADER]: id } };
}

/**
 * A publish's AMQP headers and `correlation_id` property: CORRELATION_ID_HEADER (the agent's, on a
 * forward_to copy) becomes the property, not a header. A request (a hand-off) keeps it as a header
 * for the node it goes to: its property is the relaying agent's own.
 */
export function outboundHeaders(headers: MessageHeaders, isRequest: boolean): { headers: Record<string, string>; correlationId?: string } {
  const { [CORRELATION_ID_HEADER]: id, ...rest } = headers;
  if (isRequest || id === undefined) return { headers: { ...headers } };
  return { headers: rest, correlationId: id };
}

/** Why `subject` cannot be a routing key (dotted tokens, no spaces, no wildcards, ≤ 255 bytes), or undefined. */
export function routingKeyProblem(subject: string): string | undefined {
  if (!/^[^\s.*>#]+(\.[^\s.*>#]+)*$/.test(subject)) return 'a routing key is dot-separated tokens without spaces or wildcards (* # >)';
  // A UTF-16 unit is at most 3 bytes of UTF-8: only a long key needs weighing.
  if (subject.length > 85 && Buffer.byteLength(subject) > 255) return 'a routing key is at most 255 bytes';
  return undefined;
}

/** Routing keys are subjects: throws for one routingKeyProblem() names. */
export function assertRoutingKey(subject: string): void {
  const why = routingKeyProblem(subject);
  if (why !== undefined) throw new TransportError(TransportErrorCode.BROKER, `invalid subject '${subject}': ${why}`);
}

/** The driver's setup dropped a consumer the broker refused, which closed the channel: open again at once. */
export class ConsumerRefused extends Error {
  constructor(binding: string, options: ErrorOptions) {
    super(`the broker refused the binding ${binding}`, options);
  }
}

/**
 * A channel error the broker raised for the operation itself that a retry cannot cure, as amqplib
 * reports it (the reply code): 403 ACCESS_REFUSED, 406 PRECONDITION_FAILED (a queue of that name
 * with other arguments). Not 404 (an auto-delete queue another agent's leaving removed between
 * declare and bind) nor 405 (an exclusive queue whose owner may be going away): those are retried.
 */
export function isBrokerRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 403 || code === 406;
}
