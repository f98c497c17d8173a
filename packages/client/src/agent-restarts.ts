/**
 * Agent notices seen by a client's waits. An agent that announces `fsbus::agent_start` for a node
 * is a new process: the one that ran an application there (and would have forwarded its
 * completion, or its word that none comes) is gone, and what FreeSWITCH sent it meanwhile is lost.
 * `fsbus::events_dropped` / `fsbus::events_resumed` announce events lost on the agent's side. One
 * subscription per client and notice (the agent publishes them on the event path: `<prefix>.events.
 * custom.fsbus.<notice>`, whatever node), made by the first wait for it and dropped after the last:
 * no subscription per wait, none while nothing waits.
 */
import { AGENT_START_SUBCLASS, slugNodeId } from '@fsbus/contract';
import type { Subscription } from '@fsbus/transport';
import type { ClientCore } from './commands.js';
import { decodeEvent } from './event.js';

/**
 * A wait's interest: `node` once known (slugged), else no node's notice counts — unless `anyNode`,
 * for a wait that cannot know its node: then every node's does. `restarted` is called with the
 * announcing node's id.
 */
export interface RestartWatcher {
  node: string | undefined;
  readonly anyNode?: boolean;
  restarted(nodeId: string): void;
}

interface Watch {
  readonly waiters: Set<RestartWatcher>;
  readonly sub: Subscription | undefined;
}

const watches = new WeakMap<ClientCore, Map<string, Watch>>();

/**
 * Adds `waiter` to the client's watch of the agents' `subclass` notice (subscribing first if none
 * runs; the caller's flush puts it at the broker); returns the function that removes it. A
 * subscription the driver refuses only costs the early end: the wait's own timeout still bounds it.
 */
export function watchAgentNotice(core: ClientCore, subclass: string, waiter: RestartWatcher): () => void {
  let byNotice = watches.get(core);
  if (byNotice === undefined) watches.set(core, (byNotice = new Map<string, Watch>()));
  let watch = byNotice.get(subclass);
  if (watch === undefined) {
    const waiters = new Set<RestartWatcher>();
    const subject = core.subjects.event('CUSTOM', subclass);
    let sub: Subscription | undefined;
    try {
      sub = core.driver.subscribe(subject, (m) => {
        const event = decodeEvent(m.subject, m.data);
        if (event === undefined || event.name !== 'CUSTOM' || event.subclass !== subclass) return;
        const node = slugNodeId(event.nodeId);
        for (const w of [...waiters]) if (w.node === node || (w.node === undefined && w.anyNode === true)) w.restarted(event.nodeId);
      });
    } catch {
      sub = undefined;
    }
    watch = { waiters, sub };
    byNotice.set(subclass, watch);
  }
  const current = watch;
  const notices = byNotice;
  current.waiters.add(waiter);
  return () => {
    if (!current.waiters.delete(waiter) || current.waiters.size > 0) return;
    if (notices.get(subclass) === current) notices.delete(subclass);
    void current.sub?.unsubscribe().catch(() => undefined);
  };
}

/** `watchAgentNotice` for `fsbus::agent_start`: the node's agent restarted. */
export function watchAgentRestarts(core: ClientCore, waiter: RestartWatcher): () => void {
  return watchAgentNotice(core, AGENT_START_SUBCLASS, waiter);
}
