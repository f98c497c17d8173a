/** What every suite's JSON report starts with. */
import { machineInfo, type MachineInfo } from './stats.js';

export interface ReportEnvelope<Name extends string> {
  benchmark: Name;
  date: string;
  machine: MachineInfo;
  mode: 'smoke' | 'normal' | 'full';
  /** Measuring window per case, and the warm-up before it. */
  window: { warmupMs: number; durationMs: number };
}

export function envelope<Name extends string>(benchmark: Name, args: { smoke: boolean; full: boolean }, window: { warmupMs: number; durationMs: number }): ReportEnvelope<Name> {
  return { benchmark, date: new Date().toISOString(), machine: machineInfo(), mode: args.smoke ? 'smoke' : args.full ? 'full' : 'normal', window };
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpuModel} x${m.cores}, ${m.memoryGb} GB, node ${m.node}, load ${m.loadAvg1}`;
}

/** How reports and progress name the switch the ESL suites measured: `simulator` or `FreeSWITCH`. */
export function switchName(target: { readonly external: boolean }): string {
  return target.external ? 'FreeSWITCH' : 'simulator';
}
