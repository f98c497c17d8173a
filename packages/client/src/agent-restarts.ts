/**
 * Agent restarts seen by a client's executeApp waits: an agent that announces
 * `fsbus::agent_start` for a node is a new process, and the one that ran an application there (and
 * would have forwarded its completion, or its word that none comes) is gone. One subscription per
 * client to the agent_start subject (the agent publishes it on the event path: `<prefix>.events.
 * custom.fsbus.agent_start`, whatever node), made by the first wait and dropped after the last:
 * no subscription per wait, none while nothing waits.
 */
import { AGENT_START_SUBCLASS, slugNodeId } from '@fsbus/contract';
import type { Subscription } from '@fsbus/transport';
import type { ClientCore } from './commands.js';
import { decodeEvent } from './event.js';

/** A wait's interest: `node` once its dispatch reply named it (slugged); `restarted` when that node's agent started again. */
export interface RestartWatcher {
  node: string | undefined;
  restarted(): void;
}

interface Watch {
  readonly waiters: Set<RestartWatcher>;
  readonly sub: Subscription | undefined;
}

const watches = new WeakMap<ClientCore, Watch>();

/**
 * Adds `waiter` to the client's watch (subscribing first if none runs; the caller's flush puts it
 * at the broker); returns the function that removes it. A subscription the driver refuses only
 * costs the early end: the wait's own timeout still bounds it.
 */
export function watchAgentRestarts(core: ClientCore, waiter: RestartWatcher): () => void {
  let watch = watches.get(core);
  if (watch === undefined) {
    const waiters = new Set<RestartWatcher>();
    const subject = core.subjects.event('CUSTOM', AGENT_START_SUBCLASS);
    let sub: Subscription | undefined;
    try {
      sub = core.driver.subscribe(subject, (m) => {
        const event = decodeEvent(m.subject, m.data);
        if (event === undefined || event.name !== 'CUSTOM' || event.subclass !== AGENT_START_SUBCLASS) return;
        const node = slugNodeId(event.nodeId);
        for (const w of [...waiters]) if (w.node === node) w.restarted();
      });
    } catch {
      sub = undefined;
    }
    watch = { waiters, sub };
    watches.set(core, watch);
  }
  const current = watch;
  current.waiters.add(waiter);
  return () => {
    if (!current.waiters.delete(waiter) || current.waiters.size > 0) return;
    if (watches.get(core) === current) watches.delete(core);
    void current.sub?.unsubscribe().catch(() => undefined);
  };
}
