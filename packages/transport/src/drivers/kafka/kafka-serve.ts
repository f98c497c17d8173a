/**
 * A record received on a lane → ServeRequest. The reply goes to the `fsbus-reply-to` topic with the
 * request's `fsbus-correlation-id`; forward() re-sends the same bytes and reply address to another
 * lane's topic. A request past its `fsbus-expires` is skipped: its requester stopped waiting, and a
 * command run late (an originate minutes after the caller gave up) would do harm.
 */
import type { DriverLogger, PublishOutcome, ServeHandler, ServeRequest } from '../../driver.js';
import type { OutboxItem } from '../../outbox.js';
import { runLaneHandler } from '../driver-core.js';
import { KafkaHeader } from './kafka-topics.js';
import { toInbound, type KafkaMessage } from './kafka-wire.js';

export interface ServeContext {
  enqueue(item: OutboxItem): PublishOutcome;
  topicFor(subject: string): string | undefined;
  /** Counts (and logs) a request skipped because its requester stopped waiting. */
  expired(topic: string): void;
  logger: DriverLogger | undefined;
}

export function serveRequest(m: KafkaMessage, headers: Record<string, string>, handler: ServeHandler, ctx: ServeContext): void {
  const expires = Number(headers[KafkaHeader.EXPIRES]);
  if (Number.isFinite(expires) && expires > 0 && Date.now() > expires) {
    ctx.expired(m.topic);
    return;
  }
  const replyTo = headers[KafkaHeader.REPLY_TO];
  const correlationId = headers[KafkaHeader.CORRELATION_ID] ?? '';
  let replied = false;
  const base = toInbound(m, headers);
  const request: ServeRequest = {
    ...base,
    expectsReply: replyTo !== undefined,
    reply: (data) => {
      if (replyTo === undefined || replied) return false;
      replied = true;
      return ctx.enqueue({ subject: replyTo, data, headers: { [KafkaHeader.CORRELATION_ID]: correlationId, [KafkaHeader.SUBJECT]: replyTo } }) !== 'dropped';
    },
    forward: (subject) => {
      replied = true;
      const topic = ctx.topicFor(subject);
      if (topic === undefined) {
        ctx.logger?.warn({ subject }, 'forward to an invalid subject dropped');
        return;
      }
      // Same bytes, same reply address and deadline: the other node answers the original requester.
      ctx.enqueue({ subject: topic, data: base.data, headers: { ...headers, [KafkaHeader.SUBJECT]: subject } });
    },
  };
  runLaneHandler(request, handler, ctx.logger);
}
