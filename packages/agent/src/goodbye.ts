/**
 * The agent's goodbye: a CUSTOM `fsbus::agent_stop` event published once on a clean stop, so
 * subscribers (the dashboard, SDK users) learn that the node left on purpose instead of reading
 * a silence as a crash. A crash sends nothing. docs/contract.md "Events".
 */
import { AGENT_STOP_SUBCLASS, nowMicros, type EventSource } from '@fsbus/contract';

/** The goodbye as an event of FreeSWITCH's shape, for the publisher's normal path (filter, subject, envelope). */
export function agentStopEvent(nodeId: string, version: string, nowUs: number = nowMicros()): EventSource & { readonly name: 'CUSTOM'; readonly subclass: string } {
  const headers = new Map<string, string>([
    ['Event-Name', 'CUSTOM'],
    ['Event-Subclass', AGENT_STOP_SUBCLASS],
    ['Event-Date-Timestamp', String(nowUs)],
    ['FSBus-Node-ID', nodeId],
    ['FSBus-Version', version],
  ]);
  return { name: 'CUSTOM', subclass: AGENT_STOP_SUBCLASS, headers };
}
