/** The benchmark's output: one JSON document (machine, inputs, results, ratios) and a table. */
import { cpus, loadavg } from 'node:os';
import type { SourceInfo } from '../lib/envelope.js';

export interface LibraryResult {
  format: string;
  /** `name`: Event-Name read from each event; `all`: every header iterated too. */
  reads: string;
  library: string;
  version: string;
  /** Median over the timed iterations. */
  medianMs: number;
  samplesMs: number[];
  eventsPerSec: number;
  mbPerSec: number;
}

export interface FormatRatio {
  format: string;
  reads: string;
  fastestPeer: string;
  /** @fsbus/esl events/s divided by the fastest peer's. */
  ratio: number;
}

export interface BenchReport {
  benchmark: 'esl-parse';
  date: string;
  /** The tree measured (absent from older reports). */
  source?: SourceInfo;
  /** `loadAvgStart`/`loadAvgEnd`: load averages (1, 5, 15 min) when the run started and ended; absent from older reports. */
  machine: { cpuModel: string; cores: number; node: string; platform: string; arch: string; loadAvgStart?: number[]; loadAvgEnd?: number[] };
  input: { source: 'fixtures' | 'generated'; smoke: boolean; chunkBytes: number; warmup: number; iterations: number; streams: Array<{ format: string; bytes: number; events: number; distinctEvents: number }> };
  results: LibraryResult[];
  ratios: FormatRatio[];
}

/** When the run started: the entry point imports this module before it measures anything. */
const LOAD_AT_START = loadavg();
const round2 = (values: number[]): number[] => values.map((n) => Math.round(n * 100) / 100);

/** The machine, with the load at the run's start and now (its end: the report is built last). */
export function machineInfo(): BenchReport['machine'] {
  const list = cpus();
  return { cpuModel: list[0]?.model ?? 'unknown', cores: list.length, node: process.version, platform: process.platform, arch: process.arch, loadAvgStart: round2(LOAD_AT_START), loadAvgEnd: round2(loadavg()) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function ratiosOf(results: readonly LibraryResult[], ours: string): FormatRatio[] {
  const cases = [...new Map(results.map((r) => [`${r.format}/${r.reads}`, r])).values()];
  return cases.flatMap(({ format, reads }) => {
    const rows = results.filter((r) => r.format === format && r.reads === reads);
    const mine = rows.find((r) => r.library === ours);
    const best = rows.filter((r) => r.library !== ours).sort((a, b) => b.eventsPerSec - a.eventsPerSec)[0];
    return mine && best ? [{ format, reads, fastestPeer: best.library, ratio: mine.eventsPerSec / best.eventsPerSec }] : [];
  });
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

export function formatTable(report: BenchReport, ours: string): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(`esl-parse: ${m.cpuModel} x${m.cores}, node ${m.node}; input ${report.input.source}, ${report.input.chunkBytes / 1024} KiB chunks, median of ${report.input.iterations}`);
  lines.push('');
  lines.push(`| format | reads | ${pad('library', 16)} | ${pad('events/s', 10, true)} | ${pad('MB/s', 7, true)} | ${pad('median ms', 9, true)} | vs faster peer |`);
  lines.push('|--------|-------|------------------|-----------:|--------:|----------:|---------------:|');
  for (const r of report.results) {
    const peers = report.results.filter((x) => x.format === r.format && x.reads === r.reads && x.library !== ours);
    const best = Math.max(...peers.map((x) => x.eventsPerSec));
    lines.push(
      `| ${pad(r.format, 6)} | ${pad(r.reads, 5)} | ${pad(`${r.library} ${r.version}`, 16)} | ${pad(Math.round(r.eventsPerSec).toLocaleString('en-US'), 10, true)} | ${pad(r.mbPerSec.toFixed(1), 7, true)} | ${pad(r.medianMs.toFixed(1), 9, true)} | ${pad(`${(r.eventsPerSec / best).toFixed(2)}x`, 14, true)} |`,
    );
  }
  lines.push('');
  for (const q of report.ratios) lines.push(`event-${q.format}, reads=${q.reads}: ${ours} is ${q.ratio.toFixed(2)}x ${q.fastestPeer} (the faster peer)`);
  return lines.join('\n');
}
