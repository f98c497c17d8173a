/**
 * One request over Kafka: the record goes to the lane's topic with the requester's reply topic,
 * a correlation id and a deadline in its headers; the reply comes back on the inbox. Resolves with
 * the first reply (request) or every reply until `expect` or the timeout (gather; a sender's
 * second reply, a batch the producer sent again, not counted: gatherTally).
 */
import { randomUUID } from 'node:crypto';
import type { InboundMessage, PublishOutcome, RequestOptions } from '../../driver.js';
import { gatherTally, type GatherEnds } from '../base-driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import type { OutboxItem } from '../../outbox.js';
import type { KafkaInbox } from './kafka-inbox.js';
import { KafkaHeader } from './kafka-topics.js';

export interface CallContext {
  inbox: KafkaInbox;
  topicFor(subject: string): string | undefined;
  /** False when nobody can be serving the topic (it does not exist, or its lane groups are all empty: kafka-served.ts). */
  served(topic: string): Promise<boolean>;
  enqueue(item: OutboxItem): PublishOutcome;
  /** Why a record can never be sent (over what the broker takes), or undefined. */
  unsendable(item: OutboxItem): string | undefined;
  /** Learns the topic's own size limit, if it has one (resolves either way). */
  learn(topic: string): Promise<void>;
}


export function kafkaCall(
  ctx: CallContext,
  subject: string,
  data: Uint8Array,
  options: RequestOptions & { timeoutMs: number },
  gather: GatherEnds | undefined,
): Promise<InboundMessage[]> {
  const { timeoutMs, signal } = options;
  const topic = ctx.topicFor(subject);
  if (topic === undefined) return Promise.reject(new TransportError(TransportErrorCode.BROKER, `'${subject}' is not a valid subject`));
  if (signal?.aborted === true) return Promise.reject(new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal.reason }));
  const id = randomUUID();
  const deadline = performance.now() + timeoutMs;
  // A request: never sent again after a lost connection (it may have run), nor sent from the
  // outbox once its requester gave up (settled, or past its deadline).
  const record = (): OutboxItem => ({
    kind: 'request',
    deadline,
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
  // Never sendable, told apart from a broker that is away: sending it again cannot help.
  const tooLarge = (why: string) => new TransportError(TransportErrorCode.UNSUPPORTED, `${gather === undefined ? 'request to' : 'gather on'} ${subject}: ${why}`);
  const unsendable = ctx.unsendable(record());
  if (unsendable !== undefined) return Promise.reject(tooLarge(unsendable));
  const tally = gather === undefined ? undefined : gatherTally(gather);
  return new Promise((resolve, reject) => {
    const got: InboundMessage[] = [];
    let settled = false;
    let sent: OutboxItem | undefined;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (sent !== undefined) sent.settled = true;
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
        if (tally === undefined || tally(m.data)) finish();
      },
      (err) => {
        if (err === undefined) finish(new TransportError(TransportErrorCode.CLOSED, `request to ${subject}: the driver closed while it was pending`));
        // Lost in flight, maybe run: a gathering ends with what came, as at its timeout (as on AMQP).
        else if (gather !== undefined && err.code === TransportErrorCode.DISCONNECTED) finish();
        else finish(err);
      },
    );
    void (async () => {
      // Asked before the reply topic is opened: a request nobody serves (an agent's start-up check
      // of its own node id) costs no reply topic, nor its deletion at close (kafka-reader.ts, anchor).
      if (!(await ctx.served(topic))) {
        if (gather !== undefined) finish();
        else finish(new TransportError(TransportErrorCode.NO_RESPONDERS, `no responders on ${subject} (topic ${topic} does not exist, or nobody reads it)`));
        return;
      }
      if (settled) return;
      await ctx.inbox.open();
      // The lane's topic may take less than the broker (a topic-level max.message.bytes).
      await ctx.learn(topic);
      if (settled) return;
      const item = record();
      const why = ctx.unsendable(item);
      if (why !== undefined) finish(tooLarge(why));
      else {
        sent = item;
        // Closing, or the broker away with the outbox full: nothing will answer, say so now (as the other drivers do).
        if (ctx.enqueue(item) === 'dropped') finish(new TransportError(TransportErrorCode.BROKER, `request to ${subject} could not be sent`));
      }
    })().catch((err: unknown) =>
      finish(err instanceof TransportError ? err : new TransportError(TransportErrorCode.BROKER, `request to ${subject} failed: ${(err as Error).message}`, { cause: err })),
    );
  });
}
