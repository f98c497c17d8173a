/** The demo's live event summary: counts per call phase, printed as one line every few seconds. */
import type { BusEvent } from '@fsbus/client';
import type { Colors } from './format.js';

export class DemoSummary {
  events = 0;
  created = 0;
  answered = 0;
  parked = 0;
  bridged = 0;
  hungUp = 0;
  readonly #active = new Set<string>();
  #lastEvents = 0;
  #lastAt = Date.now();

  add(e: BusEvent): void {
    this.events++;
    switch (e.name) {
      case 'CHANNEL_CREATE':
        this.created++;
        if (e.uuid !== undefined) this.#active.add(e.uuid);
        break;
      case 'CHANNEL_ANSWER':
        this.answered++;
        break;
      case 'CHANNEL_PARK':
        this.parked++;
        break;
      case 'CHANNEL_BRIDGE':
        this.bridged++;
        break;
      case 'CHANNEL_HANGUP_COMPLETE':
        this.hungUp++;
        if (e.uuid !== undefined) this.#active.delete(e.uuid);
        break;
      default:
        break;
    }
  }

  get active(): number {
    return this.#active.size;
  }

  /** `12:00:04 events 412 (+96, 48/s)  channels: 40 created, 31 answered, 18 parked, 6 bridged, 29 hung up, 11 up` */
  line(c: Colors, now = Date.now()): string {
    const delta = this.events - this.#lastEvents;
    const secs = Math.max(0.001, (now - this.#lastAt) / 1000);
    this.#lastEvents = this.events;
    this.#lastAt = now;
    const time = new Date(now).toISOString().slice(11, 19);
    return (
      `${c.dim(time)} events ${c.bold(String(this.events))} (+${delta}, ${Math.round(delta / secs)}/s)  channels: ` +
      `${c.green(`${this.created} created`)}, ${this.answered} answered, ${this.parked} parked, ` +
      `${this.bridged} bridged, ${c.red(`${this.hungUp} hung up`)}, ${c.cyan(`${this.active} up`)}`
    );
  }
}
