/**
 * What the user asked FreeSWITCH to send on this connection (event subscription, filters, log
 * level, myevents, divert_events), kept so that a reconnect can re-apply it, and so that bgapi
 * and execute know whether they must subscribe or filter for their own result events.
 */
import type { EventFormat } from './event-codec.js';

export class SubscriptionState {
  format: EventFormat | undefined;
  #all = false;
  readonly #names = new Set<string>();
  readonly #nixed = new Set<string>();
  /** CUSTOM subclasses subscribed (FreeSWITCH keeps them apart from the event names). */
  readonly #subclasses = new Set<string>();
  filters: Array<[string, string]> = [];
  logLevel: string | undefined;
  myevents: string | undefined;
  divert: boolean | undefined;

  /** `event <format> <names>`: FreeSWITCH adds to what is subscribed. */
  onEvents(format: EventFormat, names: readonly string[]): void {
    this.format = format;
    for (const n of names) {
      if (n === 'ALL') {
        this.#all = true;
        this.#nixed.clear();
      } else if (n === n.toUpperCase() && !n.includes('::')) {
        this.#names.add(n);
        this.#nixed.delete(n);
      } else {
        this.#subclasses.add(n);
      }
    }
  }

  onNixevent(names: readonly string[]): void {
    for (const n of names) {
      if (n === 'ALL') this.onNoevents();
      else if (n === n.toUpperCase() && !n.includes('::')) {
        this.#names.delete(n);
        if (this.#all) this.#nixed.add(n);
      } else this.#subclasses.delete(n);
    }
  }

  onNoevents(): void {
    this.#all = false;
    this.#names.clear();
    this.#nixed.clear();
    this.#subclasses.clear();
  }

  onFilter(header: string, value: string): void {
    this.filters.push([header, value]);
  }

  onFilterDelete(header: string, value: string | undefined): void {
    if (header === 'all' && value === undefined) this.filters = [];
    else this.filters = this.filters.filter(([h, v]) => h !== header || (value !== undefined && v !== value));
  }

  isSubscribed(name: string): boolean {
    if (this.myevents !== undefined) return true;
    return (this.#all && !this.#nixed.has(name)) || this.#names.has(name);
  }

  get hasFilters(): boolean {
    return this.filters.length > 0;
  }

  /** The commands that rebuild this state on a fresh connection, in FreeSWITCH's order of effect. */
  replayCommands(): string[] {
    const out: string[] = [];
    const names = [...(this.#all ? ['ALL'] : this.#names)];
    if (this.#subclasses.size > 0 && !this.#all && !names.includes('CUSTOM')) names.push('CUSTOM');
    names.push(...this.#subclasses);
    if (names.length > 0) out.push(`event ${this.format ?? 'plain'} ${names.join(' ')}`);
    if (this.#all && this.#nixed.size > 0) out.push(`nixevent ${[...this.#nixed].join(' ')}`);
    for (const [h, v] of this.filters) out.push(`filter ${h} ${v}`);
    if (this.logLevel !== undefined) out.push(`log ${this.logLevel}`);
    if (this.myevents !== undefined) out.push(this.myevents);
    if (this.divert !== undefined) out.push(`divert_events ${this.divert ? 'on' : 'off'}`);
    return out;
  }
}
