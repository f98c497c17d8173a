/** Waiting for what a bus client collects into an array, by event: no polling, no sleeps. */
import type { EventPayload } from '@fsbus/contract';

/** Resolves with the first payload `pick` accepts (already in `got`, or when it comes); the bound fails the test. */
export function arrival(got: EventPayload[], pick: (p: EventPayload) => boolean, what: string): Promise<EventPayload> {
  return new Promise((resolve, reject) => {
    const seen = got.find(pick);
    if (seen !== undefined) return resolve(seen);
    const timer = setTimeout(() => reject(new Error(`${what} never arrived`)), 15_000);
    const push = got.push.bind(got);
    got.push = (...items: EventPayload[]) => {
      const hit = items.find(pick);
      if (hit !== undefined) {
        clearTimeout(timer);
        resolve(hit);
      }
      return push(...items);
    };
  });
}
