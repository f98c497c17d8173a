/**
 * A driver's reply topic (`fsbus.inbox.<client id>`, one partition, read from its start by a group
 * of its own) and the requests waiting on it, matched by the `fsbus-correlation-id` header.
 * Opened on the first request, deleted on close: a server never creates an inbox topic.
 */
import type { BaseOptions } from '@platformatic/kafka';
import type { DriverLogger, InboundMessage } from '../../driver.js';
import type { TransportError } from '../../errors.js';
import { KafkaReader } from './kafka-reader.js';
import { KafkaHeader } from './kafka-topics.js';
import { readHeaders, toInbound, type KafkaMessage } from './kafka-wire.js';

export const INBOX_PREFIX = 'fsbus.inbox.';

export class KafkaInbox {
  readonly topic: string;
  readonly #base: BaseOptions;
  /** Creates the topic unless it exists; `again`: it was found missing, so not as the cache remembers. */
  readonly #ensureTopic: (topic: string, again?: boolean) => Promise<void>;
  readonly #logger: DriverLogger | undefined;
  #waiting = new Map<string, { onReply: (m: InboundMessage) => void; onEnded: (err?: TransportError) => void }>();
  #reader: KafkaReader | undefined;
  #opened: Promise<void> | undefined;

  constructor(base: BaseOptions, clientId: string, ensureTopic: (topic: string, again?: boolean) => Promise<void>, logger?: DriverLogger) {
    this.topic = `${INBOX_PREFIX}${clientId}`;
    this.#base = base;
    this.#ensureTopic = ensureTopic;
    this.#logger = logger;
  }

  get opened(): boolean {
    return this.#reader !== undefined;
  }

  open(): Promise<void> {
    this.#opened ??= (async () => {
      await this.#ensureTopic(this.topic);
      // A fresh private topic: reading from its start cannot see anyone else's replies.
      const reader = new KafkaReader(this.#base, { topic: this.topic, group: this.topic, mode: 'earliest', commitEach: false }, (m) => this.#onReply(m), this.#logger);
      // Deleted under us (an operator's cleanup): created again, replies can come back.
      reader.onMissingTopic = () => this.#ensureTopic(this.topic, true);
      this.#reader = reader;
      reader.start();
      await reader.ready;
    })().catch((err: unknown) => {
      this.#opened = undefined;
      throw err;
    });
    return this.#opened;
  }

  #onReply(m: KafkaMessage): void {
    const headers = readHeaders(m);
    const id = headers[KafkaHeader.CORRELATION_ID];
    const waiter = id === undefined ? undefined : this.#waiting.get(id);
    // A late reply (its request timed out) has nobody waiting: dropped, as NATS would.
    if (waiter !== undefined) waiter.onReply(toInbound(m, headers));
  }

  /**
   * `onEnded` runs if no reply can come any more: without an error when the inbox closes, with the
   * driver's when its request was dropped (fail()). The caller settles at once, not at its timeout.
   */
  wait(correlationId: string, onReply: (m: InboundMessage) => void, onEnded: (err?: TransportError) => void): void {
    this.#waiting.set(correlationId, { onReply, onEnded });
  }

  /** The request `correlationId` was dropped: its waiter, if any, ends with `err`. */
  fail(correlationId: string | undefined, err: TransportError): void {
    const waiter = correlationId === undefined ? undefined : this.#waiting.get(correlationId);
    if (waiter === undefined) return;
    this.#waiting.delete(correlationId!);
    waiter.onEnded(err);
  }

  cancel(correlationId: string): void {
    this.#waiting.delete(correlationId);
  }

  async close(): Promise<void> {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.onEnded();
    await this.#reader?.close();
  }
}
