/** What every suite's JSON report starts with. */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { REPO_ROOT } from './paths.js';
import { CpuMeter } from './proc-stats.js';
import { machineInfo, type MachineInfo } from './stats.js';

export interface ReportEnvelope<Name extends string> {
  benchmark: Name;
  date: string;
  machine: MachineInfo;
  mode: 'smoke' | 'normal' | 'full';
  /** Measuring window per case, and the warm-up before it. */
  window: { warmupMs: number; durationMs: number };
  /** The tree measured: the checkout's `git rev-parse HEAD` when the suite started, and whether it had uncommitted changes. Absent from older reports. */
  source?: SourceInfo;
  /** Load averages (1, 5, 15 min) when the suite started and ended. Absent from older reports. */
  loadAvg?: { start: number[]; end: number[] };
  /** The whole machine's busy share from the suite's start to its end (100 = every core, other users included). Absent from older reports. */
  machineBusyPercent?: number;
}

export interface SourceInfo {
  /** 40 hex digits, or `unknown` (no git, not a checkout). */
  commit: string;
  dirty: boolean;
}

/** The checkout's commit and whether its tree differs from it (untracked files count: a new file changes what runs). */
export function sourceInfo(): SourceInfo {
  // --no-optional-locks: reading the status must not rewrite the index.
  const git = (...args: string[]): string => execFileSync('git', ['--no-optional-locks', '-C', REPO_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain') !== '' };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

/** Taken when the suite's entry point imports this module, before it measures anything. */
const SOURCE = sourceInfo();
const LOAD_AT_START = loadavg();
const RUN_CPU = new CpuMeter({});

const round2 = (values: number[]): number[] => values.map((n) => Math.round(n * 100) / 100);

export function envelope<Name extends string>(benchmark: Name, args: { smoke: boolean; full: boolean }, window: { warmupMs: number; durationMs: number }): ReportEnvelope<Name> {
  const busy = RUN_CPU.finish().machinePercent;
  return {
    benchmark,
    date: new Date().toISOString(),
    machine: machineInfo(),
    mode: args.smoke ? 'smoke' : args.full ? 'full' : 'normal',
    window,
    source: SOURCE,
    loadAvg: { start: round2(LOAD_AT_START), end: round2(loadavg()) },
    machineBusyPercent: Math.round(busy * 10) / 10,
  };
}

/** `commit 1a2b3c4 (uncommitted changes), load 0.52 → 1.87, machine 63% busy over the run`; '' for reports that predate these fields. */
export function runLine(r: Pick<ReportEnvelope<string>, 'source' | 'loadAvg' | 'machineBusyPercent'>): string {
  const parts: string[] = [];
  if (r.source) parts.push(`commit ${r.source.commit.slice(0, 12)}${r.source.dirty ? ' (uncommitted changes)' : ''}`);
  if (r.loadAvg) parts.push(`load ${r.loadAvg.start[0] ?? '?'} → ${r.loadAvg.end[0] ?? '?'}`);
  if (r.machineBusyPercent !== undefined) parts.push(`machine ${Math.round(r.machineBusyPercent)}% busy over the run`);
  return parts.join(', ');
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpuModel} x${m.cores}, ${m.memoryGb} GB, node ${m.node}, load ${m.loadAvg1}`;
}

/** How reports and progress name the switch the ESL suites measured: `simulator` or `FreeSWITCH`. */
export function switchName(target: { readonly external: boolean }): string {
  return target.external ? 'FreeSWITCH' : 'simulator';
}
