/**
 * The copies of an agent's notice an event stream may read. On Kafka the driver produces each of
 * the agent's own notices (fsbus::agent_start, agent_stop, events_dropped, events_resumed) to every
 * partition of the events topic, so each member of a consumer group learns of a loss; a reader of
 * several partitions (the SDK reads them all) gets a copy from each. A notice is one by its node,
 * its subclass and its timestamp (µs, the agent's clock when it sent it): a copy of one seen is not
 * handed out again. Any driver may send one twice (a publish sent again after a lost connection):
 * that copy is left out too.
 */
import { AGENT_NOTICE_SUBCLASSES } from '@fsbus/contract';
import type { BusEvent } from './event.js';

/**
 * Notices remembered per stream, the oldest forgotten first. The copies of one notice are read
 * close together (one fetch of the partitions), and notices are rare: an agent sends a few per
 * outage or restart. @default 1024
 */
export const NOTICES_REMEMBERED = 1024;

export class NoticeCopies {
  readonly #seen = new Set<string>();

  /** Whether `event` is a copy of an agent's notice this stream handed out already (remembered otherwise). */
  isCopy(event: BusEvent): boolean {
    if (event.name !== 'CUSTOM' || event.uuid !== undefined) return false;
    const subclass = event.subclass;
    if (subclass === undefined || !AGENT_NOTICE_SUBCLASSES.has(subclass)) return false;
    const id = `${event.nodeId}\0${subclass}\0${event.timestamp}`;
    if (this.#seen.has(id)) return true;
    this.#seen.add(id);
    if (this.#seen.size > NOTICES_REMEMBERED) this.#seen.delete(this.#seen.values().next().value!);
    return false;
  }
}
