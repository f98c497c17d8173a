import { createDriver, type Driver, type DriverLogger, type DriverOptions, type DriverStatus } from '@fsbus/transport';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A driver logger that keeps the message of each warn line (the rest is dropped). */
export function capturedWarnings(): { warnings: string[]; logger: DriverLogger } {
  const warnings: string[] = [];
  const none = (): void => undefined;
  return { warnings, logger: { debug: none, info: none, error: none, warn: (_obj, msg) => void warnings.push(msg ?? '') } };
}

/** A connected `driverName` driver, put in `opened` before it connects: the test's teardown closes what `opened` holds. */
export async function openDriver(opened: Driver[], driverName: string, options: DriverOptions): Promise<Driver> {
  const d = await createDriver(driverName, options);
  opened.push(d);
  await d.connect();
  return d;
}

/** Resolves when the driver reaches `status` (now or later); the bound only fails the test. */
export function waitStatus(driver: Driver, status: DriverStatus, timeoutMs = 15_000): Promise<void> {
  if (driver.status === status) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`driver never reached ${status} (is ${driver.status})`));
    }, timeoutMs);
    const off = driver.on((e) => {
      if (e.type === 'status' && e.status === status) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

/** `promise`'s outcome, or a rejection with `message` if it has none within `timeoutMs` (a hang fails by name). */
export async function within<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A collector that resolves `until(n)` once n items arrived, `untilSeen(match)` once one matching item did. */
export class Collector<T> {
  readonly items: T[] = [];
  #waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];

  push = (item: T): void => {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.ready()) return true;
      w.resolve();
      return false;
    });
  };

  until(n: number, timeoutMs = 15_000): Promise<T[]> {
    return this.#when(() => this.items.length >= n, timeoutMs, () => `got ${this.items.length} of ${n} items`);
  }

  untilSeen(match: (item: T) => boolean, timeoutMs = 15_000): Promise<T[]> {
    // Checked at each arrival, so only the newest item can be the first match.
    const seen = this.items.some(match);
    const newest = (): boolean => this.items.length > 0 && match(this.items[this.items.length - 1] as T);
    return this.#when(() => seen || newest(), timeoutMs, () => `none of ${this.items.length} items matched`);
  }

  #when(ready: () => boolean, timeoutMs: number, failure: () => string): Promise<T[]> {
    if (ready()) return Promise.resolve(this.items);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(failure())), timeoutMs);
      this.#waiters.push({
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.items);
        },
      });
    });
  }
}
