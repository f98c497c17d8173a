/**
 * What `fsbus events` says on stderr about messages that are not fsbus events (the stream skips
 * them): the first at once with its reason, later ones counted by subject at most once per
 * interval (a flood of bad messages must not flood the terminal), and the total at the end.
 */
import type { MalformedEvent } from '@fsbus/client';

/** @default 10 s between two warnings */
const WARN_INTERVAL_MS = 10_000;
/** Subjects named in one line; the rest are counted. */
const SUBJECTS_NAMED = 5;
/** Subjects counted apart (`>` may see bad messages on endless subjects); past it, as `other subjects`. */
const SUBJECTS_KEPT = 100;
/** Where the subjects past SUBJECTS_KEPT are counted. */
const OTHERS = '';

function count(counts: Map<string, number>, subject: string): void {
  const key = counts.has(subject) || counts.size < SUBJECTS_KEPT ? subject : OTHERS;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

const sum = (counts: Iterable<number>): number => [...counts].reduce((a, b) => a + b, 0);

/** `a: 3, b: 1`, the first few subjects by name, then `and 7 on other subjects`. */
function bySubject(counts: ReadonlyMap<string, number>): string {
  const named = [...counts].filter(([subject]) => subject !== OTHERS).slice(0, SUBJECTS_NAMED);
  const rest = sum(counts.values()) - sum(named.map(([, n]) => n));
  const list = named.map(([subject, n]) => `${subject}: ${n}`).join(', ');
  return rest > 0 ? `${list}, and ${rest} on other subjects` : list;
}
const events = (n: number): string => (n === 1 ? '1 malformed event' : `${n} malformed events`);

export class MalformedWarnings {
  readonly #write: (line: string) => void;
  readonly #now: () => number;
  readonly #total = new Map<string, number>();
  /** Seen since the last line, not said yet. */
  readonly #pending = new Map<string, number>();
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  /** `now`: milliseconds of a monotonic clock. */
  constructor(write: (line: string) => void, now: () => number = () => performance.now()) {
    this.#write = write;
    this.#now = now;
  }

  note(m: MalformedEvent): void {
    count(this.#total, m.subject);
    const due = this.#now() - this.#lastWarnAt >= WARN_INTERVAL_MS;
    if (due && this.#pending.size === 0) {
      this.#lastWarnAt = this.#now();
      this.#write(`fsbus events: ${m.error.code}: ${m.error.message} (skipped)`);
      return;
    }
    count(this.#pending, m.subject);
    if (due) {
      this.#sayPending();
      return;
    }
    // For a quiet spell after a burst; not what keeps the command running (the stream does).
    this.#timer ??= setTimeout(() => this.#sayPending(), this.#lastWarnAt + WARN_INTERVAL_MS - this.#now()).unref();
  }

  #sayPending(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    this.#lastWarnAt = this.#now();
    this.#write(`fsbus events: skipped another ${events(sum(this.#pending.values()))} (${bySubject(this.#pending)})`);
    this.#pending.clear();
  }

  /** At the end: the total, if there was any. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
    if (this.#total.size > 0) this.#write(`fsbus events: ${events(sum(this.#total.values()))} skipped (${bySubject(this.#total)})`);
  }
}
