/** Topic existence and creation ("created if missing"), cached per driver. */
import type { Admin } from '@platformatic/kafka';
import { isUnknownTopic } from './kafka-wire.js';

export type TopicConfig = Array<{ name: string; value: string }>;

export class TopicCache {
  readonly #admin: () => Admin | undefined;
  readonly #ensured = new Map<string, Promise<void>>();

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
    return this.#ensured.has(topic);
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

  /** Creates the topic unless it exists; a failure is forgotten, so the next call tries again. */
  ensure(topic: string, partitions: number, configs?: TopicConfig): Promise<void> {
    let p = this.#ensured.get(topic);
    if (p === undefined) {
      p = (async () => {
        if (await this.exists(topic)) return;
        try {
          await this.#client().createTopics({ topics: [topic], partitions, replicas: -1, ...(configs === undefined ? {} : { configs }) });
        } catch (err) {
          // Lost a creation race with another client: fine if it exists now.
          if (!(await this.exists(topic))) throw err;
        }
      })();
      p.catch(() => this.#ensured.delete(topic));
      this.#ensured.set(topic, p);
    }
    return p;
  }
}
