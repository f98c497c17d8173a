/** Calls to the dashboard server: the controls (through the contract) and on-demand details. */
import type { CommandResult, EventDetail, ChannelView } from '../src/protocol.js';

export async function command(body: Record<string, unknown>): Promise<CommandResult> {
  try {
    const res = await fetch('/api/command', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-fsbus-dashboard': '1' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as CommandResult;
  } catch (err) {
    return { success: false, message: `dashboard server unreachable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export async function eventDetail(id: number): Promise<EventDetail | undefined> {
  const res = await fetch(`/api/events/${id}`);
  return res.ok ? ((await res.json()) as EventDetail) : undefined;
}

export async function timeline(uuid: string): Promise<{ uuid: string; channel: ChannelView | null; events: EventDetail[] }> {
  const res = await fetch(`/api/timeline/${encodeURIComponent(uuid)}`);
  return (await res.json()) as { uuid: string; channel: ChannelView | null; events: EventDetail[] };
}
