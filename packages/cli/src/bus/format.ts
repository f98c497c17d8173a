/** Terminal output of the bus commands: one colored line per event, tables, JSON. */
import { terminalLine } from '@fsbus/contract';
import type { AgentStatus, BusEvent } from '@fsbus/client';

type Paint = (s: string) => string;

export interface Colors {
  readonly dim: Paint;
  readonly green: Paint;
  readonly red: Paint;
  readonly yellow: Paint;
  readonly cyan: Paint;
  readonly bold: Paint;
}

const paint = (code: number) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const plain = (s: string): string => s;

/**
 * Whether to colour a stream, as Node decides for its own output (tty's getColorDepth): FORCE_COLOR
 * '', 1, true, 2 or 3 turns colours on, any other value off, whatever the stream is; else
 * NO_COLOR or NODE_DISABLE_COLORS (any value, empty too) or TERM=dumb off; else on a terminal only.
 */
function colorsOn(env: NodeJS.ProcessEnv, tty: boolean): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return ['', '1', 'true', '2', '3'].includes(force);
  if (env['NO_COLOR'] !== undefined || env['NODE_DISABLE_COLORS'] !== undefined || env['TERM'] === 'dumb') return false;
  return tty;
}

/** ANSI colors for one stream: `tty` is whether that stream (stdout by default) is a terminal. */
export function colors(env: NodeJS.ProcessEnv = process.env, tty = process.stdout.isTTY === true): Colors {
  if (!colorsOn(env, tty)) return { dim: plain, green: plain, red: plain, yellow: plain, cyan: plain, bold: plain };
  return { dim: paint(2), green: paint(32), red: paint(31), yellow: paint(33), cyan: paint(36), bold: paint(1) };
}

function time(e: BusEvent): string {
  const d = e.timestamp > 0 ? e.date : new Date();
  return d.toISOString().slice(11, 23);
}

function nameColor(c: Colors, name: string): (s: string) => string {
  if (name === 'CHANNEL_CREATE' || name === 'CHANNEL_ANSWER' || name === 'CHANNEL_BRIDGE') return c.green;
  if (name.startsWith('CHANNEL_HANGUP') || name === 'CHANNEL_DESTROY') return c.red;
  if (name === 'CUSTOM' || name === 'BACKGROUND_JOB') return c.yellow;
  return c.cyan;
}

/** What matters in one event, in a few words; escaped (callers choose most of it). */
export function eventDetail(e: BusEvent): string {
  return terminalLine(rawDetail(e));
}

function rawDetail(e: BusEvent): string {
  const parts: string[] = [];
  if (e.name === 'CUSTOM' && e.subclass !== undefined) parts.push(e.subclass);
  if (e.name === 'BACKGROUND_JOB') parts.push(`${e.header('Job-Command') ?? ''} ${(e.body ?? '').trim().split('\n')[0] ?? ''}`.trim());
  if (e.channelName !== undefined) parts.push(e.channelName);
  const from = e.callerIdNumber;
  const to = e.destinationNumber;
  if (from !== undefined || to !== undefined) parts.push(`${from ?? '?'} -> ${to ?? '?'}`);
  if (e.name.startsWith('CHANNEL_EXECUTE') && e.application !== undefined) parts.push(`${e.application}(${e.applicationData ?? ''})`);
  if (e.name.startsWith('CHANNEL_HANGUP') && e.hangupCause !== undefined) parts.push(e.hangupCause);
  else if (e.name === 'CHANNEL_STATE' && e.channelState !== undefined) parts.push(e.channelState);
  else if (e.name === 'CHANNEL_CALLSTATE' && e.callState !== undefined) parts.push(e.callState);
  return parts.join('  ');
}

/** `12:00:01.123 node-1 CHANNEL_ANSWER  3f2a…  sofia/internal/1001@…  1001 -> 7001` */
export function formatEventLine(e: BusEvent, c: Colors): string {
  // Every field but the time comes from the publisher: escaped before the CLI's own colours go on.
  const uuid = e.uuid === undefined ? '-'.padEnd(8) : terminalLine(e.uuid.slice(0, 8));
  const color = nameColor(c, e.name);
  return `${c.dim(time(e))} ${terminalLine(e.nodeId)} ${color(terminalLine(e.name).padEnd(24))} ${c.dim(uuid)}  ${eventDetail(e)}`.trimEnd();
}

export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function uptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

/** `status.<part>.status`, or `?` when the status lacks it (the SDK refuses such replies; a status from elsewhere may lack it). */
function partStatus(s: AgentStatus, part: 'broker' | 'esl'): string {
  const value = (s as Record<string, unknown>)[part];
  const status = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)['status'] : undefined;
  return typeof status === 'string' ? status : '?';
}

/**
 * LANES: whether the node takes requests for any node (`joined`), is off them (`left`: FreeSWITCH
 * not ready), or was taken off by an operator (`cordoned`); `?` for an agent that does not say.
 */
function lanesCell(s: AgentStatus): string {
  const value = (s as Record<string, unknown>)['shared_lanes'];
  const lanes = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const state = typeof lanes['state'] === 'string' ? lanes['state'] : '?';
  if (lanes['cordoned'] !== true) return state;
  return state === 'left' ? 'cordoned' : `cordoned (${state})`;
}

export function statusTable(statuses: readonly AgentStatus[]): string {
  const n = (s: AgentStatus, k: string): string => {
    const counters = (s as Record<string, unknown>)['counters'];
    const value = counters !== null && typeof counters === 'object' ? (counters as Record<string, unknown>)[k] : undefined;
    return typeof value === 'number' || typeof value === 'string' ? String(value) : '0';
  };
  return table(
    ['NODE', 'VERSION', 'UPTIME', 'DRIVER', 'BROKER', 'ESL', 'LANES', 'READY', 'REQUESTS ok/failed', 'EVENTS published/dropped'],
    // Node ids and states are whatever answered on the broadcast subject.
    statuses.map((s) => [
      s.node_id,
      String(s.version),
      typeof s.uptime === 'number' ? uptime(s.uptime) : '?',
      String(s.driver),
      partStatus(s, 'broker'),
      partStatus(s, 'esl'),
      lanesCell(s),
      // The agent's own verdict (its /readyz); '?' from an agent older than the field.
      s.ready === true ? 'yes' : s.ready === false ? 'no' : '?',
      `${n(s, 'requests_ok')}/${n(s, 'requests_failed')}`,
      `${n(s, 'events_published')}/${n(s, 'events_dropped')}`,
    ].map(terminalLine)),
  );
}
