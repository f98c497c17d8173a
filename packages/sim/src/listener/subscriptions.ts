/**
 * What a connection receives, with mod_event_socket's semantics: the event list (ALL, names,
 * CUSTOM subclasses, accumulated across `event` commands, `nixevent`), the filters (positive and
 * negative, plain or /regex/), the event names it understands (switch_name_event) and the log
 * levels (switch_log_str2level).
 */
import { EVENT_NAMES, eventWords } from '@fsbus/esl';
import type { CoreEvent } from '../core/types.js';
import { LOG_INVALID, logStr2Level } from '../core/log-level.js';

/** switch_log_str2level: a number (clamped) or a level name; undefined when invalid. */
export function logLevel(text: string): number | undefined {
  const level = logStr2Level(text);
  return level === LOG_INVALID ? undefined : level;
}

/** The event list of one listener (uint8_t event_list[] + the CUSTOM subclass hash). */
export class EventSubscription {
  readonly #names = new Set<string>();
  readonly #subclasses = new Set<string>();

  get empty(): boolean {
    return this.#names.size === 0;
  }

  /** `event <format> <words…>`: returns how many words were event names (key_count). */
  add(words: readonly string[], allowed?: (name: string, subclass?: string) => boolean): number | 'denied' {
    let keys = 0;
    for (const { name, subclass } of eventWords(words)) {
      if (name === undefined) {
        if (allowed && !allowed('CUSTOM', subclass)) return 'denied';
        this.#subclasses.add(subclass);
        continue;
      }
      if (allowed && !allowed(name)) return 'denied';
      keys++;
      if (name === 'ALL') for (const n of EVENT_NAMES) this.#names.add(n);
      this.#names.add(name);
    }
    return keys;
  }

  /** `nixevent <words…>`: returns key_count. */
  remove(words: readonly string[]): number {
    let keys = 0;
    for (const { name, subclass } of eventWords(words)) {
      if (name === undefined) {
        this.#subclasses.delete(subclass);
        continue;
      }
      keys++;
      if (name === 'CUSTOM') continue; // it only makes the words after it subclasses
      if (name === 'ALL') this.#names.clear();
      else {
        // Leaving ALL keeps every other type, as FreeSWITCH expands the flag before clearing one.
        if (this.#names.delete('ALL')) for (const n of EVENT_NAMES) if (n !== 'ALL') this.#names.add(n);
        this.#names.delete(name);
      }
    }
    return keys;
  }

  /** Sets the types `myevents` subscribes to. */
  addNames(names: readonly string[]): void {
    for (const n of names) this.#names.add(n);
  }

  clear(): void {
    this.#names.clear();
    this.#subclasses.clear();
  }

  matches(event: CoreEvent): boolean {
    if (this.#names.has('ALL')) return true;
    if (!this.#names.has(event.name)) return false;
    return event.name !== 'CUSTOM' || !event.subclass || this.#subclasses.has(event.subclass);
  }
}

/** switch_event_get_header: first header of that name, any case. */
export function headerOf(event: CoreEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of event.headers) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/** switch_regex_perform's `/expr/flags` form: i and s honoured; no closing slash never matches. */
function regexMatch(value: string, expression: string): boolean {
  let source = expression;
  let flags = '';
  if (source.startsWith('/')) {
    const end = source.lastIndexOf('/');
    if (end <= 0) return false;
    const opts = source.slice(end + 1);
    source = source.slice(1, end);
    if (opts.includes('i')) flags += 'i';
    if (opts.includes('s')) flags += 's';
  }
  try {
    return new RegExp(source, flags).test(value);
  } catch {
    return false;
  }
}

/**
 * The filter list (a header list with duplicates allowed). An event passes when some positive
 * filter matches and no negative (`-value`) filter matches; filters on headers the event lacks are
 * skipped, so with only negative filters nothing passes — all as FreeSWITCH 1.10 evaluates them.
 */
export class FilterList {
  #filters: Array<[string, string]> = [];

  get size(): number {
    return this.#filters.length;
  }

  /** switch_event_add_header_string: an empty value adds nothing and deletes every filter on the header. */
  add(name: string, value: string): void {
    if (value === '') this.delete(name, undefined);
    else this.#filters.push([name, value]);
  }

  /** switch_event_del_header_val: by name (any case), and by exact value unless it is missing or empty. */
  delete(name: string, value: string | undefined): void {
    const lower = name.toLowerCase();
    this.#filters = this.#filters.filter(([n, v]) => !(n.toLowerCase() === lower && (value === undefined || value === '' || v === value)));
  }

  clear(): void {
    this.#filters = [];
  }

  passes(event: CoreEvent): boolean {
    if (this.#filters.length === 0) return true;
    let send = false;
    for (const [name, raw] of this.#filters) {
      const value = headerOf(event, name);
      if (value === undefined) continue;
      let at = 0;
      let positive = true;
      for (; at < raw.length; at++) {
        const c = raw[at];
        if (c === '+') positive = true;
        else if (c === '-') positive = false;
        else if (c !== ' ') break;
      }
      if (send && positive) continue;
      const compareTo = raw.slice(at);
      const matched = raw.startsWith('/') ? regexMatch(value, compareTo) : value.toLowerCase() === compareTo.toLowerCase();
      if (!matched) continue;
      if (!positive) return false;
      send = true;
    }
    return send;
  }
}
