/**
 * One request over Kafka: the record goes to the lane's topic with the requester's reply topic,
 * a correlation id and a deadline in its headers; the reply comes back on the inbox. Resolves with
 * the first reply (request) or every reply until `expect` or the timeout (gather).
 */
import { randomUUID } from 'node:crypto';
import type { InboundMessage, PublishOutcome, RequestOptions } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import type { OutboxItem } from '../../outbox.js';
import type { KafkaInbox } from './kafka-inbox.js';
import { KafkaHeader } from './kafka-topics.js';

export interface CallContext {
  inbox: KafkaInbox;
  topicFor(subject: string): string | undefined;
  /** False when nobody can be serving the topic (it does not exist). */
  served(topic: string): Promise<boolean>;
  enqueue(item: OutboxItem): PublishOutcome;
}

export function kafkaCall(
  ctx: CallContext,
  subject: string,
  data: Uint8Array,
  options: RequestOptions & { timeoutMs: number },
  gather: { expect: number | undefined } | undefined,
): Promise<InboundMessage[]> {
  const { timeoutMs, signal } = options;
  const topic = ctx.topicFor(subject);
  if (topic === undefined) return Promise.reject(new TransportError(TransportErrorCode.BROKER, `'${subject}' is not a valid subject`));
  if (signal?.aborted === true) return Promise.reject(new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal.reason }));
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const got: InboundMessage[] = [];
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ctx.inbox.cancel(id);
      if (err === undefined) resolve(got);
      else reject(err);
    };
    const onAbort = () => finish(new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal?.reason }));
    const timer = setTimeout(() => {
      if (gather !== undefined) finish();
      else finish(new TransportError(TransportErrorCode.TIMEOUT, `request to ${subject} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    ctx.inbox.wait(
      id,
      (m) => {
        got.push(m);
        if (gather === undefined || (gather.expect !== undefined && got.length >= gather.expect)) finish();
      },
      () => finish(new TransportError(TransportErrorCode.CLOSED, `request to ${subject}: the driver closed while it was pending`)),
    );
    void (async () => {
      await ctx.inbox.open();
      if (!(await ctx.served(topic))) {
        if (gather !== undefined) finish();
        else finish(new TransportError(TransportErrorCode.NO_RESPONDERS, `no responders on ${subject} (topic ${topic} does not exist)`));
        return;
      }
      if (settled) return;
      ctx.enqueue({
        subject: topic,
        data,
        headers: {
          ...options.headers,
          [KafkaHeader.SUBJECT]: subject,
          [KafkaHeader.REPLY_TO]: ctx.inbox.topic,
          [KafkaHeader.CORRELATION_ID]: id,
          [KafkaHeader.EXPIRES]: String(Date.now() + timeoutMs),
        },
      });
    })().catch((err: unknown) =>
      finish(err instanceof TransportError ? err : new TransportError(TransportErrorCode.BROKER, `request to ${subject} failed: ${(err as Error).message}`, { cause: err })),
    );
  });
}
