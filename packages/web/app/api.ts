/** Calls to the dashboard server: the controls (through the contract) and on-demand details. */
import type { CommandResult, EventDetail, ChannelView } from '../src/protocol.js';

export const SIGNED_OUT_MESSAGE = 'signed out: the dashboard no longer accepts this session (its token changed) — open /?token=<token> again';

export const NO_LONGER_HELD = 'this event is no longer held by the dashboard server (dropped as newer came, or the server restarted)';

let onSignedOut: () => void = () => undefined;

/** Called whenever the server answers 401: the page says so instead of failing call by call. */
export function whenSignedOut(listener: () => void): void {
  onSignedOut = listener;
}

/** Whether the server would serve the live stream to this page now ('signed-out' on a 401). */
export async function streamAccess(): Promise<'ok' | 'signed-out' | 'unreachable'> {
  try {
    const res = await fetch('/api/stream', { method: 'HEAD' });
    if (res.status === 401) return 'signed-out';
    return res.ok ? 'ok' : 'unreachable';
  } catch {
    return 'unreachable';
  }
}

export async function command(body: Record<string, unknown>): Promise<CommandResult> {
  let res: Response;
  try {
    res = await fetch('/api/command', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-fsbus-dashboard': '1' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    return { success: false, message: `dashboard server unreachable: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (res.status === 401) {
    onSignedOut();
    return { success: false, message: SIGNED_OUT_MESSAGE };
  }
  // The controls answer JSON, errors included; anything else came from something in between.
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) {
    return { success: false, message: `dashboard server answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}` };
  }
  return (await res.json()) as CommandResult;
}

/** Why a detail could not be read: the server is down, or it answered with an error. */
function unreachable(err: unknown): string {
  return `dashboard server unreachable: ${err instanceof Error ? err.message : String(err)}`;
}

function unreadable(err: unknown): string {
  return `unreadable answer from the dashboard server: ${err instanceof Error ? err.message : String(err)}`;
}

/** One event with every header; a string says why it could not be read. */
export async function eventDetail(id: number): Promise<EventDetail | string> {
  let res: Response;
  try {
    res = await fetch(`/api/events/${id}`);
  } catch (err) {
    return unreachable(err);
  }
  if (res.status === 401) {
    onSignedOut();
    return SIGNED_OUT_MESSAGE;
  }
  if (res.status === 404) return NO_LONGER_HELD;
  if (!res.ok) return `dashboard server answered HTTP ${res.status}`;
  try {
    return (await res.json()) as EventDetail;
  } catch (err) {
    return unreadable(err);
  }
}

/** `dropped`: the call's earlier events no longer kept (past the server's bound per call). */
export type Timeline = { uuid: string; channel: ChannelView | null; events: EventDetail[]; dropped?: number };

/** One call's kept events; a string says why they could not be read. */
export async function timeline(uuid: string): Promise<Timeline | string> {
  let res: Response;
  try {
    res = await fetch(`/api/timeline/${encodeURIComponent(uuid)}`);
  } catch (err) {
    return unreachable(err);
  }
  if (res.status === 401) {
    onSignedOut();
    return SIGNED_OUT_MESSAGE;
  }
  if (!res.ok) return `dashboard server answered HTTP ${res.status}`;
  try {
    return (await res.json()) as Timeline;
  } catch (err) {
    return unreadable(err);
  }
}
