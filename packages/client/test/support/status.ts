import type { Driver } from '@fsbus/transport';

/** Resolves once `driver` reports `status` (bounded: a status never reached fails the test by name). */
export function statusReached(driver: Driver, status: string): Promise<void> {
  if (driver.status === status) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`driver never became ${status}`)), 15_000);
    const off = driver.on((e) => {
      if (e.type !== 'status' || e.status !== status) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
