/**
 * What the user asked FreeSWITCH to send on this connection (event subscription, filters, log
 * level, myevents, divert_events), kept so that a reconnect can re-apply it, and so that bgapi
 * and execute know whether they must subscribe or filter for their own result events.
 *
 * The words of `event` / `nixevent` are read as mod_event_socket reads them: names in any case
 * (switch_name_event), every word after `CUSTOM` a subclass, unknown names ignored.
 *
 * It also keeps what FreeSWITCH accepted of the re-apply on the current socket: a user who
 * subscribes again once the client is back ('ready') is answered from it, and FreeSWITCH does
 * not get every command twice (nor the replay one more filter per reconnect).
 */
import type { EventFormat } from './event-codec.js';
import { eventWords, MYEVENTS_NAMES } from './event-names.js';
import type { CommandReplyFrame } from './frame.js';

const MYEVENTS: ReadonlySet<string> = new Set(MYEVENTS_NAMES);

export class SubscriptionState {
  format: EventFormat | undefined;
  #all = false;
  /** Event types turned on by name (canonical upper case). */
  readonly #names = new Set<string>();
  /** Types nixed while ALL was on: FreeSWITCH then keeps every other type on. */
  readonly #nixed = new Set<string>();
  /** CUSTOM subclasses (FreeSWITCH's event_hash: only `noevents` empties it). */
  readonly #subclasses = new Set<string>();
  filters: Array<[string, string]> = [];
  logLevel: string | undefined;
  myevents: string | undefined;
  divert: boolean | undefined;
  /** FreeSWITCH's accepting replies to the re-apply on the current socket, by command line. */
  readonly #replayed = new Map<string, CommandReplyFrame>();

  /** `event <format> <words>`: FreeSWITCH adds to what is subscribed. */
  onEvents(format: EventFormat, words: readonly string[]): void {
    this.format = format;
    for (const { name, subclass } of eventWords(words)) {
      if (name === undefined) this.#subclasses.add(subclass);
      else if (name === 'ALL') {
        this.#all = true;
        this.#nixed.clear();
      } else {
        this.#names.add(name);
        this.#nixed.delete(name);
      }
    }
  }

  /** `nixevent <words>`; `nixevent CUSTOM a b` removes subclasses and leaves CUSTOM itself on. */
  onNixevent(words: readonly string[]): void {
    for (const { name, subclass } of eventWords(words)) {
      if (name === undefined) this.#subclasses.delete(subclass);
      else if (name === 'ALL') {
        this.#all = false;
        this.#names.clear();
        this.#nixed.clear();
      } else if (name !== 'CUSTOM') {
        this.#names.delete(name);
        if (this.#all) this.#nixed.add(name);
      }
    }
  }

  onNoevents(): void {
    this.#all = false;
    this.#names.clear();
    this.#nixed.clear();
    this.#subclasses.clear();
  }

  onFilter(header: string, value: string): void {
    // The same pair twice filters as once (and `filter delete` takes every copy): re-applied once.
    if (this.filters.some(([h, v]) => h === header && v === value)) return;
    this.filters.push([header, value]);
  }

  /** As FreeSWITCH deletes: `all` in any case (a value after it ignored), header names case-insensitively, values exactly. */
  onFilterDelete(header: string, value: string | undefined): void {
    const name = header.toLowerCase();
    if (name === 'all') this.filters = [];
    else this.filters = this.filters.filter(([h, v]) => h.toLowerCase() !== name || (value !== undefined && v !== value));
  }

  /** Whether FreeSWITCH sends events of type `name` (a canonical name) on this connection. */
  isSubscribed(name: string): boolean {
    return (this.myevents !== undefined && MYEVENTS.has(name)) || this.isSubscribedByEvent(name);
  }

  /** Whether `event` (not `myevents`) turned `name` on: for every channel of the switch. */
  isSubscribedByEvent(name: string): boolean {
    return (this.#all && !this.#nixed.has(name)) || this.#names.has(name);
  }

  get hasFilters(): boolean {
    return this.filters.length > 0;
  }

  /** FreeSWITCH accepted `line` of the re-apply (replayCommands) on the current socket. */
  onReplayed(line: string, reply: CommandReplyFrame): void {
    this.#replayed.set(line, reply);
  }

  /** The socket changed: what its re-apply confirmed is gone with it. */
  forgetReplayed(): void {
    this.#replayed.clear();
  }

  /**
   * The reply to the re-apply of `line` (filter, log, myevents, divert_events) while sending it
   * again would change nothing: accepted on this socket, and still part of the state. Else undefined.
   */
  replayedReply(line: string): CommandReplyFrame | undefined {
    const reply = this.#replayed.get(line);
    return reply !== undefined && this.replayCommands().includes(line) ? reply : undefined;
  }

  /**
   * The same for `event <format> <words>`: the re-apply of the subscription as it stands was
   * accepted on this socket, in this format, and it has every word on already.
   */
  replayedEventReply(format: EventFormat, words: readonly string[]): CommandReplyFrame | undefined {
    // myevents sets the connection's format too (it is re-applied after the `event` lines).
    if (this.#replayed.size === 0 || format !== this.format || this.myevents !== undefined) return undefined;
    let reply: CommandReplyFrame | undefined;
    for (const line of this.replayCommands()) {
      if (!line.startsWith('event ') && !line.startsWith('nixevent ')) continue;
      const accepted = this.#replayed.get(line);
      if (accepted === undefined) return undefined;
      if (line.startsWith('event ')) reply = accepted;
    }
    return reply !== undefined && this.#hasOn(words) ? reply : undefined;
  }

  /** Whether `event` with these words would turn nothing on. An unknown word may make FreeSWITCH answer otherwise: no. */
  #hasOn(words: readonly string[]): boolean {
    let known = 0;
    for (const { name, subclass } of eventWords(words)) {
      known++;
      const on = name === undefined ? this.#subclasses.has(subclass) : name === 'ALL' ? this.#all && this.#nixed.size === 0 : this.isSubscribedByEvent(name);
      if (!on) return false;
    }
    return known > 0 && known === words.length;
  }

  /** The commands that rebuild this state on a fresh connection, in FreeSWITCH's order of effect. */
  replayCommands(): string[] {
    const out: string[] = [];
    const format = this.format ?? 'plain';
    const subclasses = [...this.#subclasses];
    const customOn = this.#all || this.#names.has('CUSTOM');
    // Subclasses outlive `nixevent ALL` in FreeSWITCH, waiting for CUSTOM to come back on.
    if (!customOn && subclasses.length > 0) out.push(`event ${format} CUSTOM ${subclasses.join(' ')}`, 'nixevent ALL');
    const words = this.#all ? ['ALL'] : [...this.#names].filter((n) => n !== 'CUSTOM');
    // Every word after CUSTOM is a subclass: CUSTOM and its subclasses go last.
    if (customOn && (this.#names.has('CUSTOM') || subclasses.length > 0)) words.push('CUSTOM', ...subclasses);
    if (words.length > 0) out.push(`event ${format} ${words.join(' ')}`);
    if (this.#all && this.#nixed.size > 0) out.push(`nixevent ${[...this.#nixed].join(' ')}`);
    for (const [h, v] of this.filters) out.push(`filter ${h} ${v}`);
    if (this.logLevel !== undefined) out.push(`log ${this.logLevel}`);
    if (this.myevents !== undefined) out.push(this.myevents);
    if (this.divert !== undefined) out.push(`divert_events ${this.divert ? 'on' : 'off'}`);
    return out;
  }
}
