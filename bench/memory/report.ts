/** memory's report shape and table. */
import { machineLine, type ReportEnvelope } from '../lib/envelope.js';
import type { LoadResult } from '../lib/load.js';
import { int, markdownTable, ms } from '../lib/table.js';

export interface MemoryReport extends ReportEnvelope<'memory'> {
  driver: string;
  load: { commandClients: number; eventsPerSec: number };
  idle: { rssMb: number; settleMs: number };
  underLoad: {
    seconds: number;
    /** RSS every second, MB. */
    samples: number[];
    startMb: number;
    peakMb: number;
    endMb: number;
    /** Least-squares slope over the second half of the window, MB per minute. */
    slopeMbPerMin: number;
    /** V8 heap used every second, MB, from the agent's /metrics (absent in reports before it was sampled). */
    heapUsedSamples?: number[];
    cpuPercent: number;
    commands: Pick<LoadResult, 'ok' | 'errors' | 'perSec'> & { p50: number; p99: number };
    eventsPublished: number;
    eventsDropped: number;
  };
  afterLoad: { rssMb: number };
}

/**
 * Median RSS of each fifth of the load window: garbage collection makes RSS saw-tooth by tens of
 * MB, so a least-squares slope over a few minutes says little; medians show a trend or its absence.
 */
export function medianByFifth(samples: readonly number[]): number[] {
  if (samples.length < 5) return [];
  return Array.from({ length: 5 }, (_, i) => {
    const part = samples.slice(Math.floor((i * samples.length) / 5), Math.floor(((i + 1) * samples.length) / 5)).sort((a, b) => a - b);
    return part[Math.floor(part.length / 2)]!;
  });
}

/**
 * Lowest V8 heap use of each fifth of the window: right after a collection the heap holds only
 * what is still referenced, so a leak shows as floors that keep rising; RSS hides it behind the
 * young generation's saw-tooth.
 */
export function floorByFifth(samples: readonly number[]): number[] {
  if (samples.length < 5) return [];
  return Array.from({ length: 5 }, (_, i) => Math.min(...samples.slice(Math.floor((i * samples.length) / 5), Math.floor(((i + 1) * samples.length) / 5))));
}

export function formatMemory(r: MemoryReport): string {
  const u = r.underLoad;
  const fifths = medianByFifth(u.samples);
  const trend = fifths.length === 0 ? '' : `; median by fifth of the window ${fifths.map((m) => m.toFixed(0)).join(' / ')} MB`;
  const table = markdownTable(
    [{ title: 'phase' }, { title: 'RSS MB', right: true }, { title: 'detail' }],
    [
      ['idle', r.idle.rssMb.toFixed(1), `${r.idle.settleMs / 1000} s after ready`],
      ['under load (start)', u.startMb.toFixed(1), `${r.load.commandClients} command clients + ${int(r.load.eventsPerSec)} events/s`],
      ['under load (peak)', u.peakMb.toFixed(1), `agent CPU ${u.cpuPercent.toFixed(0)}%; ${int(u.commands.perSec)} commands/s (p50 ${ms(u.commands.p50)} ms, p99 ${ms(u.commands.p99)} ms), ${int(u.eventsPublished)} events published, ${int(u.eventsDropped)} dropped`],
      ['under load (end)', u.endMb.toFixed(1), `after ${u.seconds} s; slope over the second half ${u.slopeMbPerMin.toFixed(2)} MB/min${trend}`],
      ['after load', r.afterLoad.rssMb.toFixed(1), `${r.idle.settleMs / 1000} s later`],
      ...heapRow(u.heapUsedSamples ?? []),
    ],
  );
  return [`memory: ${machineLine(r.machine)}; agent over ${r.driver}, ${r.mode === 'full' ? `${+(u.seconds / 60).toFixed(1)}-minute soak` : `${u.seconds} s load`}`, '', table].join('\n');
}

function heapRow(heap: readonly number[]): string[][] {
  if (heap.length === 0) return [];
  const floors = floorByFifth(heap);
  const trend = floors.length === 0 ? '' : `; lowest of each fifth of the window ${floors.map((m) => m.toFixed(1)).join(' / ')} MB (what survives collection; a leak raises it)`;
  return [['V8 heap used', '–', `peak ${Math.max(...heap).toFixed(1)} MB over ${heap.length} samples${trend}`]];
}
