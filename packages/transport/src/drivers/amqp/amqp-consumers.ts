/**
 * The AMQP driver's subscriptions and lanes: a queue, its binding and a consumer each, set up
 * again on every (re)connect. Channel operations (declare, bind, consume, cancel) run one after
 * the other; `settled` is what flush() and close() wait for.
 */
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { ConsumerRefused, isBrokerRefusal } from './amqp-wire.js';

interface Consumer {
  /** Named shared queue (competing), or undefined for a server-named exclusive queue. */
  queue: string | undefined;
  binding: string;
  onMessage(msg: ConsumeMessage): void;
  tag?: string | undefined;
  consume?: object | undefined;
}

export class AmqpConsumers {
  readonly #exchange: string;
  readonly #report: (error: Error) => void;
  readonly #all = new Set<Consumer>();
  /** The channel later operations run on; none while the connection is down or being set up. */
  #ch: ConfirmChannel | undefined;
  #chain: Promise<void> = Promise.resolve();

  /** `report`: errors of operations nobody awaits (a refused bind, a cancel on a dying channel). */
  constructor(exchange: string, report: (error: Error) => void) {
    this.#exchange = exchange;
    this.#report = report;
  }

  /** Resolves once the operations queued so far have run. */
  get settled(): Promise<void> {
    return this.#chain;
  }

  /** Adds a consumer (set up now when a channel is there); returns its removal. */
  add(queue: string | undefined, binding: string, onMessage: (msg: ConsumeMessage) => void): () => Promise<void> {
    const c: Consumer = { queue, binding, onMessage };
    this.#all.add(c);
    this.#enqueue((ch) => this.#attach(ch, c));
    return async () => {
      if (!this.#all.delete(c)) return;
      this.#enqueue(async (ch) => {
        if (c.tag !== undefined) await ch.cancel(c.tag);
      });
      await this.#chain;
    };
  }

  /**
   * Sets every consumer up on a new channel, then runs later operations on it. `closed` tells
   * whether the broker closed the channel meanwhile. Until this ends, add() and removals only
   * change the set (their queued operation finds no channel): so consumers are taken from it one
   * by one, those added meanwhile included, and those removed meanwhile are cancelled after.
   */
  async restore(ch: ConfirmChannel, closed: () => boolean): Promise<void> {
    const attached = new Set<Consumer>();
    for (let c = this.#nextUnattached(attached); c !== undefined; c = this.#nextUnattached(attached)) {
      attached.add(c);
      try {
        await this.#attach(ch, c);
      } catch (err) {
        // The broker's lasting refusal (a queue declared elsewhere with other arguments; no
        // permission) or one that never reached it: the same on every reconnect. Reported and
        // dropped, so the other lanes are served; a lost connection or a passing error is retried.
        if (closed() && !isBrokerRefusal(err)) throw err;
        this.#all.delete(c);
        this.#report(new TransportError(TransportErrorCode.BROKER, `cannot restore the binding ${c.binding}, dropped: ${(err as Error).message}`, { cause: err }));
        // The refusal closed the channel: set up again on a new one.
        if (closed()) throw new ConsumerRefused(c.binding, { cause: err });
      }
    }
    for (const c of attached) if (!this.#all.has(c) && c.tag !== undefined) await ch.cancel(c.tag);
    this.#ch = ch;
    this.#chain = Promise.resolve();
  }

  /** The channel is gone: operations wait for the next restore(). */
  detach(): void {
    this.#ch = undefined;
  }

  /** The driver closes: nothing to set up again. */
  clear(): void {
    this.#all.clear();
    this.#ch = undefined;
  }

  #nextUnattached(attached: ReadonlySet<Consumer>): Consumer | undefined {
    for (const c of this.#all) if (!attached.has(c)) return c;
    return undefined;
  }

  async #attach(ch: ConfirmChannel, c: Consumer): Promise<void> {
    const q = c.queue === undefined
      ? await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false })
      : await ch.assertQueue(c.queue, { durable: false, autoDelete: true });
    await ch.bindQueue(q.queue, this.#exchange, c.binding);
    // This consume, told apart from a later one of the same consumer (set up again meanwhile).
    const consume = {};
    c.consume = consume;
    const { consumerTag } = await ch.consume(q.queue, (msg) => {
      if (msg !== null) c.onMessage(msg);
      else if (c.consume === consume) this.#cancelledByBroker(c, q.queue);
    }, { noAck: true });
    c.tag = consumerTag;
  }

  /**
   * RabbitMQ cancels a consumer whose queue was deleted (or whose node went down): amqplib hands
   * the consumer a null. Said, and set up again — silently it would serve nothing while 'connected'.
   */
  #cancelledByBroker(c: Consumer, queue: string): void {
    c.tag = undefined;
    c.consume = undefined;
    if (!this.#all.has(c)) return;
    this.#report(new TransportError(TransportErrorCode.BROKER, `the broker cancelled the consumer of ${queue} (binding ${c.binding}): setting it up again`));
    this.#enqueue((ch) => this.#attach(ch, c));
  }

  /** Runs a channel operation after the ones before it; errors are reported, not thrown. */
  #enqueue(op: (ch: ConfirmChannel) => Promise<void>): void {
    this.#chain = this.#chain.then(async () => {
      const ch = this.#ch;
      if (ch === undefined) return; // done again by restore() on reconnect
      try {
        await op(ch);
      } catch (err) {
        this.#report(err as Error);
      }
    });
  }
}
