import type { Dashboard } from '@fsbus/web';

/**
 * Resolves once a poll that started after this call has been applied (its update names `witness`,
 * a node that answers every poll); fails after `timeoutMs` (the tests poll every hour: a poll
 * whose update never names it would hang).
 */
export function nextPoll(d: Dashboard, witness: string, timeoutMs = 20_000): Promise<void> {
  d.flush(); // what earlier polls left batched must not pass for this one
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no poll naming ${witness} was applied within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = d.onUpdate((u) => {
      if (u.nodes?.some((n) => n.node_id === witness) !== true) return;
      clearTimeout(timer);
      off();
      resolve();
    });
    d.refresh();
  });
}
