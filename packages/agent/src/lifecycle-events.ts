/**
 * The agent's own lifecycle events, CUSTOM events of FreeSWITCH's shape published on the normal
 * event path (filter, subject, envelope) so consumers keeping state from the event stream know
 * when to resync (docs/contract.md "Events"):
 * - `fsbus::agent_start`, once when the agent is first ready: a node (re)appeared, events before
 *   it may be missing;
 * - `fsbus::events_resumed`, each time the FreeSWITCH event subscription is back after a loss,
 *   saying since when events may be missing;
 * - `fsbus::events_dropped`, once the broker is back after the agent dropped events for want of
 *   room to buffer them, saying how many (and how many hangups) and between which event timestamps;
 * - `fsbus::agent_stop`, the goodbye on a clean stop (a crash sends nothing).
 */
import { AGENT_START_SUBCLASS, AGENT_STOP_SUBCLASS, EVENTS_DROPPED_SUBCLASS, EVENTS_RESUMED_SUBCLASS, INSTANCE_ID_HEADER, nowMicros, type EventSource } from '@fsbus/contract';

export type LifecycleEvent = EventSource & { readonly name: 'CUSTOM'; readonly subclass: string };

function lifecycleEvent(subclass: string, nodeId: string, version: string, nowUs: number, extra: ReadonlyArray<[string, string]> = []): LifecycleEvent {
  const headers = new Map<string, string>([
    ['Event-Name', 'CUSTOM'],
    ['Event-Subclass', subclass],
    ['Event-Date-Timestamp', String(nowUs)],
    ['FSBus-Node-ID', nodeId],
    ['FSBus-Version', version],
    ...extra,
  ]);
  return { name: 'CUSTOM', subclass, headers };
}

/**
 * The goodbye, published once on a clean stop. `instanceId` (agent.status `instance_id`) names the
 * process leaving: another agent of the same node id re-checks its node-id conflict at once
 * (NodeIdWatch), and tells its own goodbye from the other's.
 */
export function agentStopEvent(nodeId: string, version: string, instanceId?: string, nowUs: number = nowMicros()): LifecycleEvent {
  return lifecycleEvent(AGENT_STOP_SUBCLASS, nodeId, version, nowUs, instanceId === undefined ? [] : [[INSTANCE_ID_HEADER, instanceId]]);
}

/** Published once per process, when the agent is first ready. */
export function agentStartEvent(nodeId: string, version: string, nowUs: number = nowMicros()): LifecycleEvent {
  return lifecycleEvent(AGENT_START_SUBCLASS, nodeId, version, nowUs);
}

/** The event subscription is back; FreeSWITCH's events since `lostSinceUs` (µs epoch) may be missing. */
export function eventsResumedEvent(nodeId: string, version: string, lostSinceUs: number, nowUs: number = nowMicros()): LifecycleEvent {
  const downMs = Math.max(0, Math.floor((nowUs - lostSinceUs) / 1000));
  return lifecycleEvent(EVENTS_RESUMED_SUBCLASS, nodeId, version, nowUs, [
    ['FSBus-Events-Lost-Since', String(lostSinceUs)],
    ['FSBus-Down-Ms', String(downMs)],
  ]);
}

/** Events dropped (never sent): how many, and the event timestamps (µs epoch) they lie between, both included. */
export interface EventLoss {
  readonly count: number;
  /** Of `count`, the CHANNEL_HANGUP_COMPLETE events (the CDRs a billing consumer misses). */
  readonly hangups: number;
  readonly sinceUs: number;
  readonly untilUs: number;
  /**
   * Of `count`, those a queue refused at the broker (an AMQP nack: a queue full with
   * `x-overflow: reject-publish`, or failing): the other subscribers may have them.
   */
  readonly refused?: number;
}

/** The broker is back after `loss.count` events were dropped; those with timestamps in [since, until] may be missing. */
export function eventsDroppedEvent(nodeId: string, version: string, loss: EventLoss, nowUs: number = nowMicros()): LifecycleEvent {
  return lifecycleEvent(EVENTS_DROPPED_SUBCLASS, nodeId, version, nowUs, [
    ['FSBus-Events-Dropped', String(loss.count)],
    ['FSBus-Hangups-Dropped', String(loss.hangups)],
    ['FSBus-Events-Dropped-Since', String(loss.sinceUs)],
    ['FSBus-Events-Dropped-Until', String(loss.untilUs)],
    // Only when some were refused: the announcements of every other loss stay as they were.
    ...((loss.refused ?? 0) > 0 ? [['FSBus-Events-Refused', String(loss.refused)] as [string, string]] : []),
  ]);
}
