/**
 * All time in the core goes through a SimClock so unit tests drive it with a FakeClock and
 * never sleep; the Simulator uses the real clock.
 */

export interface TimerHandle {
  readonly id: number;
}

export interface SimClock {
  /** Wall clock in microseconds since the epoch (Event-Date-Timestamp). */
  nowMicros(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Cancels every timer (SimCore.stop). */
  clearAll(): void;
}

/** Real timers; microsecond wall clock from the high-resolution timer. */
export class RealClock implements SimClock {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  nowMicros(): number {
    return Math.floor((performance.timeOrigin + performance.now()) * 1000);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(handle.id);
  }

  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manual clock for tests. `advance(ms)` fires due timers in time order and lets pending
 * promise continuations run between them, so async code driven by timers settles.
 */
export class FakeClock implements SimClock {
  private micros: number;
  private readonly timers = new Map<number, FakeTimer>();
  private nextId = 1;

  constructor(startMicros = Date.UTC(2026, 10, 22, 6, 28, 5) * 1000 + 424395) {
    this.micros = startMicros;
  }

  nowMicros(): number {
    return this.micros;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.micros + Math.max(0, ms) * 1000, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  clearAll(): void {
    this.timers.clear();
  }

  /** Number of timers still scheduled. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due. */
  async advance(ms: number): Promise<void> {
    const target = this.micros + ms * 1000;
    await flushMicrotasks();
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.timers.values()) {
        if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      }
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.micros = Math.max(this.micros, next.at);
      next.fn();
      await flushMicrotasks();
    }
    this.micros = target;
    await flushMicrotasks();
  }
}

/** Lets every queued promise continuation run (one macrotask turn). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
