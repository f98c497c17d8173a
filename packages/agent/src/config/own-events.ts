/**
 * How events.include/exclude apply to the agent's own events (fsbus::agent_start, events_resumed,
 * events_dropped, agent_stop: the bus's loss and lifecycle signals, not FreeSWITCH's events).
 * An include list does not select them: one built from mod_amqp's event_filter names none, and
 * turned off what tells a consumer of a loss (docs/contract.md "Events"). Only events.exclude does,
 * explicitly: `ALL`, `CUSTOM`, or `CUSTOM::fsbus::<name>` for one. Said at start when it does.
 */
import { AGENT_NOTICE_SUBCLASSES, EventFilter } from '@fsbus/contract';
import type { AgentConfig } from './schema.js';

/** The filter of the agent's own events: everything events.exclude does not exclude. */
export function ownEventFilter(exclude: readonly string[]): EventFilter {
  return new EventFilter({ include: ['ALL'], exclude });
}

/** The agent's loss and lifecycle events events.exclude turns off, sorted. */
export function ownEventsExcluded(exclude: readonly string[]): string[] {
  const filter = ownEventFilter(exclude);
  return [...AGENT_NOTICE_SUBCLASSES].filter((s) => !filter.matches('CUSTOM', s)).sort();
}

/**
 * The start warning for an events.exclude that turns some of them off, or undefined. Not for
 * `ALL`: an agent that publishes no event at all (commands only) has no event consumer to tell.
 */
export function ownEventsExcludedWarning(config: Pick<AgentConfig, 'events'>): { fields: Record<string, unknown>; message: string } | undefined {
  if (config.events.exclude.some((e) => e.trim().toUpperCase() === 'ALL')) return undefined;
  const excluded = ownEventsExcluded(config.events.exclude);
  if (excluded.length === 0) return undefined;
  return {
    fields: { excluded, exclude: config.events.exclude },
    message:
      "events.exclude turns off the agent's own loss and lifecycle events: a consumer is not told of " +
      'the events it lost (a restart, a lost Event Socket link, a broker outage past the buffer) and cannot know to resync; ' +
      'remove them from events.exclude (FSBUS_EVENTS_EXCLUDE) unless nothing keeps state from the events',
  };
}
