/**
 * bus-events' report shape, saturation analysis and table. A step is clean when nothing was lost
 * and the path delivered at >= 95 % of the rate the simulator actually produced (the span of the
 * events' own timestamps): a path that keeps up delivers over the same span as the source, give
 * or take its latency jitter; one that falls behind queues, and its delivery span stretches
 * (5 % of a 3 s step is 150 ms of backlog).
 */
import { machineLine, type ReportEnvelope } from '../lib/envelope.js';
import type { CpuWindow } from '../lib/proc-stats.js';
import { int, markdownTable, ms, pct } from '../lib/table.js';
import type { StepResult } from './steps.js';

export interface BusEventsRow extends StepResult {
  path: 'bus' | 'direct-esl';
  driver: string;
  /**
   * The agent's CPU (100 = one core), RSS now and peak over the step, and its counters over the
   * step: drops (its driver's, plus events it could not hand over: `failed`), events it read from
   * FreeSWITCH (`received`, every name) and handed to the driver (`published`).
   */
  agent?: { cpuPercent: number; rssMb: number; peakRssMb: number; drops: number; failed?: number; received?: number; published?: number };
  /**
   * Over the step: the machine (100 = all cores, other users included) and each process (100 = one
   * core): `sim`, `agent`, `broker`, and `client`, this process — the events' receiver. Absent
   * from reports written before it was measured.
   */
  machine?: CpuWindow;
}

export interface Saturation {
  path: string;
  driver: string;
  /** Highest offered rate delivered without loss and keeping up (>= 95 % of the source rate). */
  maxCleanRate: number;
  /** Highest delivered events/s among the clean steps. */
  maxCleanDelivered: number;
  /** First offered rate that lost events or fell behind the source; undefined = never. */
  saturatesAt: number | undefined;
  reason: string;
}

export interface BusEventsReport extends ReportEnvelope<'bus-events'> {
  event: string;
  agent: { process: string; events: string };
  target: { perSec: number; maxRssMb: number };
  rates: number[];
  drivers: { measured: string[]; missing: Array<{ driver: string; reason: string }> };
  results: BusEventsRow[];
  saturation: Saturation[];
}

/** Why a step does not count as kept up with (undefined: it does). */
export function clean(r: BusEventsRow): string | undefined {
  if (r.lost > 0) return lossDetail(r);
  if (r.received > 1 && r.deliveredPerSec < r.sourcePerSec * KEEP_UP) return `delivered ${int(r.deliveredPerSec)}/s while the source produced ${int(r.sourcePerSec)}/s`;
  // The machine could not even produce the offered rate: the step measured nothing above it.
  if (r.sourcePerSec < r.rate * 0.9) return `the simulator produced only ${int(r.sourcePerSec)}/s of the ${int(r.rate)}/s offered: the machine is saturated`;
  return undefined;
}

/** Delivered / produced rate at or above which a path kept up. */
const KEEP_UP = 0.95;

/**
 * Where a bus step's losses happened, from the agent's counters: events the agent never read
 * (FreeSWITCH's per-listener queue of 100,000 overflowed while the agent fell behind: FreeSWITCH
 * logs "Lost [N] events!"), dropped by the agent (counted), or lost after it handed them over
 * (between driver, broker and subscriber).
 */
function lossDetail(r: BusEventsRow): string {
  const a = r.agent;
  if (a?.received === undefined || a.published === undefined) return `${int(r.lost)} lost`;
  const neverRead = Math.max(0, r.produced - a.received);
  const afterAgent = Math.max(0, a.published - (a.drops - (a.failed ?? 0)) - r.received);
  const parts = [
    [neverRead, "never read by the agent (FreeSWITCH's listener queue overflowed)"],
    [a.drops, 'dropped by the agent, counted'],
    [afterAgent, 'lost after the agent handed them to the driver'],
  ] as const;
  const where = parts.filter(([n]) => n > 0).map(([n, what]) => `${int(n)} ${what}`);
  return `${int(r.lost)} lost${where.length > 0 ? `: ${where.join(', ')}` : ''}`;
}

export function saturationOf(rows: readonly BusEventsRow[]): Saturation[] {
  const keys = [...new Set(rows.map((r) => `${r.path}/${r.driver}`))];
  return keys.map((k) => {
    const list = rows.filter((r) => `${r.path}/${r.driver}` === k);
    const first = list.find((r) => clean(r) !== undefined);
    const ok = list.filter((r) => clean(r) === undefined && (first === undefined || r.rate < first.rate));
    return {
      path: list[0]!.path,
      driver: list[0]!.driver,
      maxCleanRate: Math.max(0, ...ok.map((r) => r.rate)),
      maxCleanDelivered: Math.max(0, ...ok.map((r) => r.deliveredPerSec).filter(Number.isFinite)),
      saturatesAt: first?.rate,
      reason: first === undefined ? 'no saturation up to the highest rate tried' : clean(first)!,
    };
  });
}

/** One process's CPU over a step ('' where it was not measured: no broker on direct ESL, older reports). */
function cpuOf(row: BusEventsRow, name: string): string {
  const value = row.machine?.processes[name];
  return value === undefined ? '' : pct(value);
}

export function formatBusEvents(r: BusEventsReport): string {
  const table = markdownTable(
    [
      { title: 'path' },
      { title: 'offered/s', right: true },
      { title: 'source/s', right: true },
      { title: 'delivered/s', right: true },
      { title: 'received', right: true },
      { title: 'lost', right: true },
      { title: 'p50 ms', right: true },
      { title: 'p90 ms', right: true },
      { title: 'p99 ms', right: true },
      { title: 'max ms', right: true },
      { title: 'agent CPU', right: true },
      { title: 'agent µs/event', right: true },
      { title: 'agent RSS MB', right: true },
      { title: 'sim CPU', right: true },
      { title: 'broker CPU', right: true },
      { title: 'receiver CPU', right: true },
      { title: 'machine busy', right: true },
    ],
    r.results.map((x) => [
      x.path === 'bus' ? x.driver : x.path,
      int(x.rate),
      int(x.sourcePerSec),
      int(x.deliveredPerSec),
      int(x.received),
      int(x.lost),
      ms(x.latency.p50),
      ms(x.latency.p90),
      ms(x.latency.p99),
      ms(x.latency.max),
      x.agent ? pct(x.agent.cpuPercent) : '',
      x.agent ? int((x.agent.cpuPercent * 1e4) / x.deliveredPerSec) : '',
      x.agent ? x.agent.peakRssMb.toFixed(0) : '',
      cpuOf(x, 'sim'),
      cpuOf(x, 'broker'),
      cpuOf(x, 'client'),
      x.machine ? pct(x.machine.machinePercent) : '',
    ]),
  );
  const lines = [`bus-events: ${machineLine(r.machine)}; ${r.event}; ${r.agent.process}, ${r.agent.events}; ${r.window.durationMs / 1000} s per step`, '', table, ''];
  for (const s of r.saturation) {
    const name = s.path === 'bus' ? s.driver : s.path;
    lines.push(`${name}: clean up to the ${int(s.maxCleanRate)}/s step (${int(s.maxCleanDelivered)} events/s delivered); ${s.saturatesAt === undefined ? s.reason : `saturates at the ${int(s.saturatesAt)}/s step (${s.reason})`}`);
  }
  const nats = r.saturation.find((s) => s.path === 'bus' && s.driver === 'nats');
  if (nats) {
    const at = r.results.filter((x) => x.path === 'bus' && x.driver === 'nats' && x.rate <= nats.maxCleanRate).at(-1);
    lines.push(`nats target: >= ${int(r.target.perSec)} events/s without loss (clean up to ${int(nats.maxCleanDelivered)}/s delivered), agent RSS < ${r.target.maxRssMb} MB (${at?.agent ? at.agent.peakRssMb.toFixed(0) : '–'} MB at that rate)`);
  }
  if (r.drivers.missing.length > 0) lines.push(`not measured: ${r.drivers.missing.map((m) => `${m.driver} (${m.reason})`).join('; ')}`);
  return lines.join('\n');
}
