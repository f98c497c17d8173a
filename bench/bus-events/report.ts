/**
 * bus-events' report shape, saturation analysis and table. A step is clean when nothing was lost,
 * the path delivered at >= 95 % of the rate the simulator actually produced (the span of the
 * events' own timestamps: one that falls behind queues, and its delivery span stretches; 5 % of
 * a 3 s step is 150 ms of backlog), and its p99 latency stayed within bounds of the previous clean
 * step's: a queue that grows through a step can still deliver 95 % of it within the span, but
 * its latency climbs with it (the 50,000/s nats step of 2026-12-05: 96 % delivered, p50 7.5 →
 * 67 ms).
 */
import { driversLine } from '../bus-command/report.js';
import { machineLine, runLine, type ReportEnvelope } from '../lib/envelope.js';
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
  /** Highest offered rate delivered without loss, keeping up (>= 95 % of the source rate) and with its latency in bounds (see `clean`). */
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
  /** As bus-command's: `failed` = failed during the run (older reports list those under `missing`). */
  drivers: { measured: string[]; missing: Array<{ driver: string; reason: string }>; failed?: Array<{ driver: string; reason: string }> };
  results: BusEventsRow[];
  /** As computed when the run ended; the formatters recompute it from `results` (older reports used an older rule). */
  saturation: Saturation[];
}

/**
 * Why a step does not count as kept up with (undefined: it does). `previous` is the same path's
 * last clean step below it; the first step has nothing to compare its latency with.
 */
export function clean(r: BusEventsRow, previous?: BusEventsRow): string | undefined {
  if (r.lost > 0) return lossDetail(r);
  if (r.received > 1 && r.deliveredPerSec < r.sourcePerSec * KEEP_UP) return `delivered ${int(r.deliveredPerSec)}/s while the source produced ${int(r.sourcePerSec)}/s`;
  if (previous !== undefined) {
    const bound = Math.max(P99_GROWTH * previous.latency.p99, P99_FLOOR_MS);
    if (r.latency.p99 > bound) {
      const why = bound === P99_FLOOR_MS ? `the ${P99_FLOOR_MS} ms floor` : `${P99_GROWTH}x the ${int(previous.rate)}/s step's ${previous.latency.p99.toFixed(1)} ms`;
      return `p99 ${r.latency.p99.toFixed(1)} ms, over ${bound.toFixed(1)} ms (${why}): its queue grew through the step`;
    }
  }
  // The machine could not even produce the offered rate: the step measured nothing above it.
  if (r.sourcePerSec < r.rate * 0.9) return `the simulator produced only ${int(r.sourcePerSec)}/s of the ${int(r.rate)}/s offered: the machine is saturated`;
  return undefined;
}

/** Delivered / produced rate at or above which a path kept up. */
const KEEP_UP = 0.95;
/**
 * Latency bound of a clean step: p99 at most P99_GROWTH times the previous clean step's, or
 * P99_FLOOR_MS, whichever is larger. The steps at most double the rate; a path that keeps up pays
 * for that with fuller batches and more scheduling jitter, a small factor on p99, while a queue
 * growing through a 3 s step drives p99 towards the backlog's age: hundreds of ms (the published
 * nats run: 33 ms at 40,000/s, 145 ms at 50,000/s). The floor keeps millisecond noise at low
 * rates (2 → 7 ms) from counting as saturation.
 */
const P99_GROWTH = 3;
const P99_FLOOR_MS = 50;

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
    // Clean steps up to the first that is not: past saturation the steps only queue more.
    const ok: BusEventsRow[] = [];
    let first: { row: BusEventsRow; reason: string } | undefined;
    for (const r of list) {
      const reason = clean(r, ok.at(-1));
      if (reason !== undefined) {
        first = { row: r, reason };
        break;
      }
      ok.push(r);
    }
    return {
      path: list[0]!.path,
      driver: list[0]!.driver,
      maxCleanRate: Math.max(0, ...ok.map((r) => r.rate)),
      maxCleanDelivered: Math.max(0, ...ok.map((r) => r.deliveredPerSec).filter(Number.isFinite)),
      saturatesAt: first?.row.rate,
      reason: first?.reason ?? 'no saturation up to the highest rate tried',
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
  const run = runLine(r);
  const lines = [`bus-events: ${machineLine(r.machine)}; ${r.event}; ${r.agent.process}, ${r.agent.events}; ${r.window.durationMs / 1000} s per step${run === '' ? '' : `; ${run}`}`, '', table, ''];
  const saturation = saturationOf(r.results);
  for (const s of saturation) {
    const name = s.path === 'bus' ? s.driver : s.path;
    lines.push(`${name}: clean up to the ${int(s.maxCleanRate)}/s step (${int(s.maxCleanDelivered)} events/s delivered); ${s.saturatesAt === undefined ? s.reason : `saturates at the ${int(s.saturatesAt)}/s step (${s.reason})`}`);
  }
  const nats = saturation.find((s) => s.path === 'bus' && s.driver === 'nats');
  if (nats) {
    const at = r.results.filter((x) => x.path === 'bus' && x.driver === 'nats' && x.rate <= nats.maxCleanRate).at(-1);
    lines.push(`nats target: >= ${int(r.target.perSec)} events/s without loss (clean up to ${int(nats.maxCleanDelivered)}/s delivered), agent RSS < ${r.target.maxRssMb} MB (${at?.agent ? at.agent.peakRssMb.toFixed(0) : '–'} MB at that rate)`);
  }
  const notMeasured = driversLine(r.drivers);
  if (notMeasured !== undefined) lines.push(notMeasured);
  return lines.join('\n');
}
