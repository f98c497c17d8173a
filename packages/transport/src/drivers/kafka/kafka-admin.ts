/** Topic existence and creation ("created if missing"), cached per driver. */
import { Admin, Producer, type BaseOptions } from '@platformatic/kafka';
import { isTopicAlreadyExists, isUnknownTopic } from './kafka-wire.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../defaults.js';
import { connectWithin, timeLimit } from '../driver-core.js';

export type TopicConfig = Array<{ name: string; value: string }>;
/**
 * What ensure() with configs did: 'created' the topic (it has them), or found it 'existed' — made
 * by another client (also one that won the creation race) or by an earlier ensure of this driver,
 * so its configs may differ.
 */
export type TopicEnsured = 'created' | 'existed';

/** Requesters' reply topics remembered as existing, at most (the oldest go first). @default 10000 */
export const MAX_KNOWN_REPLY_TOPICS = 10_000;
/**
 * Waits before asking again about a reply topic the broker called unknown (ms). A requester creates
 * its reply topic and sends at once; the broker this driver asks may learn of a topic created
 * through another one a moment later. Bounded: a request whose reply topic does not exist holds its
 * partition this long (plus three round trips). @default [100, 400]
 */
export const REPLY_TOPIC_RECHECKS_MS: readonly number[] = [100, 400];

export class TopicCache {
  readonly #admin: () => Admin | undefined;
  readonly #ensured = new Map<string, Promise<TopicEnsured>>();
  /** Topics found to exist when a request asked (a lane's topic is rarely deleted). */
  readonly #seen = new Set<string>();
  /**
   * Requesters' reply topics found to exist, oldest first: a server meets one per requester that
   * ever asked (a CLI run is one), so bounded. A topic found absent is not remembered: a requester
   * may create it the next moment.
   */
  readonly #replyTopics = new Set<string>();

  constructor(admin: () => Admin | undefined) {
    this.#admin = admin;
  }

  #client(): Admin {
    const admin = this.#admin();
    if (admin === undefined) throw new Error('kafka admin client not connected');
    return admin;
  }

  /** This driver created or saw the topic already. */
  known(topic: string): boolean {
    return this.#ensured.has(topic) || this.#seen.has(topic);
  }

  /**
   * The topic was found missing (deleted while this driver ran): the next ensure() checks and
   * creates it again, the next seen() asks the broker.
   */
  forget(topic: string): void {
    this.#ensured.delete(topic);
    this.#seen.delete(topic);
    this.#replyTopics.delete(topic);
  }

  /** A requester's reply topic this driver found (or made) before: no need to ask the broker. */
  knownReplyTopic(topic: string): boolean {
    return this.#replyTopics.has(topic) || this.known(topic);
  }

  /**
   * Whether a requester's reply topic exists, asked of the broker (knownReplyTopic() first). An
   * "unknown" answer is asked again after each of REPLY_TOPIC_RECHECKS_MS: only a topic absent
   * every time is. Throws when the broker cannot say.
   */
  async replyTopicExists(topic: string): Promise<boolean> {
    for (const waitMs of [0, ...REPLY_TOPIC_RECHECKS_MS]) {
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      if (await this.exists(topic)) {
        this.#replyTopics.add(topic);
        if (this.#replyTopics.size > MAX_KNOWN_REPLY_TOPICS) this.#replyTopics.delete(this.#replyTopics.values().next().value!);
        return true;
      }
    }
    return false;
  }

  /** Whether the topic exists, asking the broker only until it does: not once per request. */
  async seen(topic: string): Promise<boolean> {
    if (this.known(topic)) return true;
    const exists = await this.exists(topic);
    if (exists) this.#seen.add(topic);
    return exists;
  }

  async exists(topic: string): Promise<boolean> {
    try {
      await this.#client().metadata({ topics: [topic], forceUpdate: true, retries: 0 });
      return true;
    } catch (err) {
      if (isUnknownTopic(err)) return false;
      throw err;
    }
  }

  /**
   * Creates the topic unless it exists (a topic it creates gets `configs`); says whether this call
   * created it (TopicEnsured). A failure is forgotten, so the next call tries again.
   */
  ensure(topic: string, partitions: number, configs?: TopicConfig): Promise<TopicEnsured> {
    const earlier = this.#ensured.get(topic);
    // Perhaps created without these configs (a publish creates a stream's topic with the broker's).
    if (earlier !== undefined) return earlier.then(() => 'existed');
    const p = (async (): Promise<TopicEnsured> => {
      if (await this.exists(topic)) return 'existed';
      try {
        await this.#client().createTopics({ topics: [topic], partitions, replicas: -1, ...(configs === undefined ? {} : { configs }) });
        return 'created';
      } catch (err) {
        // Lost a creation race with another client: fine, the topic is theirs.
        if (isTopicAlreadyExists(err) || (await this.exists(topic))) return 'existed';
        throw err;
      }
    })();
    p.catch(() => this.#ensured.delete(topic));
    this.#ensured.set(topic, p);
    return p;
  }
}

/** A driver's producer: acks=all. It dials when it first produces. */
export function newKafkaProducer(base: BaseOptions): Producer<Buffer, Buffer, Buffer, Buffer> {
  return new Producer<Buffer, Buffer, Buffer, Buffer>({ ...base, acks: -1 });
}

/** How long a failed open waits for the metadata request it gave up on to fail, after closing (the library's retry delay is 200 ms). @default 1000 */
const ABANDONED_REQUEST_MS = 1000;

/**
 * Opens a driver's admin and producer (acks=all) once the cluster answers, within the connect
 * timeout; closes both on failure. The library's `connectTimeout` bounds the TCP connect only: a
 * broker that accepts and never answers (a proxy that stalls, SIGSTOP) held the metadata request
 * for ever (no answer, no error, after 90 s).
 */
export async function openKafkaClients(base: BaseOptions): Promise<{ admin: Admin; producer: Producer<Buffer, Buffer, Buffer, Buffer> }> {
  const admin = new Admin(base);
  const producer = newKafkaProducer(base);
  const asked = admin.metadata({ topics: [], forceUpdate: true });
  try {
    await connectWithin(asked, base.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS);
  } catch (err) {
    await Promise.allSettled([admin.close(), producer.close(true)]);
    // Closing fails the request (a retry it had scheduled finds the client closed): once it has
    // settled, nothing of it is left (no request timer, no retry). Bounded all the same.
    const limit = timeLimit(ABANDONED_REQUEST_MS);
    await Promise.race([asked.catch(() => undefined), limit.expired]);
    limit.clear();
    throw err;
  }
  return { admin, producer };
}
