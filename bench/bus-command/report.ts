/** bus-command's report shape and table. */
import type { ReportEnvelope } from '../lib/envelope.js';
import { machineLine, runLine, switchName } from '../lib/envelope.js';
import type { LoadResult } from '../lib/load.js';
import type { CpuWindow } from '../lib/proc-stats.js';
import { int, markdownTable, ms, pct, ratio } from '../lib/table.js';

export interface BusCommandRow extends LoadResult {
  /**
   * `bus` (through a broker and the agent), `broker-echo` (the same request answered by a bare
   * responder process: the broker's own floor), `direct-esl` (@fsbus/esl straight to the
   * switch), `sim-ceiling` (raw pipelined ESL: the switch's own ceiling, simulator or not).
   */
  path: 'bus' | 'broker-echo' | 'direct-esl' | 'sim-ceiling';
  driver: string;
  clients: number;
  /** Connections the clients share (bus connections, or ESL connections). */
  connections: number;
  /** The agent's CPU (100 = one core) and RSS over the window (bus rows). */
  cpu?: { cpuPercent: number; rssMb: number };
  /** Machine-wide CPU (100 = all cores, other users included) and each process's (100 = one core), client = this process. */
  machine: CpuWindow;
}

/**
 * The issue's anchors: mod_event_agent (C, in FreeSWITCH) over NATS against a real FreeSWITCH
 * 1.10.12, measured on another host. Quoted under the table and used for the issue's targets,
 * never divided into a same-run ratio.
 */
export const MOD_EVENT_AGENT = {
  source: 'issue 8: mod_event_agent in-process, NATS, real FreeSWITCH 1.10.12, 2 cores',
  oneClient: { perSec: 3000, p50: 0.23 },
  clients64: { perSec: 27_000, p50: 2.1 },
} as const;

export interface BusCommandReport extends ReportEnvelope<'bus-command'> {
  command: string;
  /** What answered over ESL: the simulator, or the FreeSWITCH of `--freeswitch`. */
  eslTarget: { description: string; external: boolean };
  agent: { process: string; eslPoolSize: number; logLevel: string; /** `--agent-config` merged into the agent's config. */ overrides: Record<string, unknown> };
  anchors: typeof MOD_EVENT_AGENT;
  /**
   * `missing`: drivers that cannot run on this machine (not written yet, no broker); `failed`:
   * drivers that started and failed during the run (reports before `failed` list those under
   * `missing`, reason `failed during the run: …`).
   */
  drivers: { measured: string[]; missing: Array<{ driver: string; reason: string }>; failed?: Array<{ driver: string; reason: string }> };
  results: BusCommandRow[];
}

/** The anchor as a line of its own: another host's numbers, not comparable row by row. */
export function anchorLine(a: BusCommandReport['anchors']): string {
  return `issue 8 anchor, measured on another host: ${a.source.replace(/^issue 8: /, '')}: ${int(a.oneClient.perSec)}/s (p50 ${a.oneClient.p50} ms) at 1 client, ${int(a.clients64.perSec)}/s (p50 ${a.clients64.p50} ms) at 64 — not a same-run ratio`;
}

/** The "not measured" footer: drivers missing here, and drivers that failed during the run. */
export function driversLine(d: { missing: ReadonlyArray<{ driver: string; reason: string }>; failed?: ReadonlyArray<{ driver: string; reason: string }> }): string | undefined {
  const all = [...d.missing, ...(d.failed ?? [])];
  return all.length === 0 ? undefined : `not measured: ${all.map((m) => `${m.driver} (${m.reason})`).join('; ')}`;
}

export function formatBusCommand(r: BusCommandReport): string {
  const direct = (clients: number): BusCommandRow | undefined => r.results.find((x) => x.path === 'direct-esl' && x.clients === clients);
  const rows = r.results.map((x) => {
    const d = direct(x.clients);
    return [
      x.path === 'bus' ? x.driver : x.path === 'broker-echo' ? `${x.driver} floor (echo)` : x.path,
      x.clients,
      int(x.perSec),
      ms(x.latency.p50),
      ms(x.latency.p90),
      ms(x.latency.p99),
      ms(x.latency.max),
      x.path === 'bus' && d ? ms(x.latency.p50 - d.latency.p50) : '',
      x.path === 'bus' && d ? ratio(x.perSec / d.perSec) : '',
      x.cpu ? pct(x.cpu.cpuPercent) : '',
      x.cpu ? int((x.cpu.cpuPercent * 1e4) / x.perSec) : '',
      pct(x.machine.processes['sim'] ?? Number.NaN),
      x.machine.processes['broker'] === undefined ? '' : pct(x.machine.processes['broker']),
      pct(x.machine.processes['client'] ?? Number.NaN),
      pct(x.machine.machinePercent),
      x.errors,
    ];
  });
  const table = markdownTable(
    [
      { title: 'path' },
      { title: 'clients', right: true },
      { title: 'commands/s', right: true },
      { title: 'p50 ms', right: true },
      { title: 'p90 ms', right: true },
      { title: 'p99 ms', right: true },
      { title: 'max ms', right: true },
      { title: 'bus overhead p50 ms', right: true },
      { title: 'vs direct ESL', right: true },
      { title: 'agent CPU', right: true },
      { title: 'agent µs/cmd', right: true },
      { title: 'sim CPU', right: true },
      { title: 'broker CPU', right: true },
      { title: 'client CPU', right: true },
      { title: 'machine busy', right: true },
      { title: 'errors', right: true },
    ],
    rows,
  );
  const overrides = Object.keys(r.agent.overrides ?? {}).length > 0 ? `, config overrides ${JSON.stringify(r.agent.overrides)}` : '';
  const run = runLine(r);
  const lines = [`bus-command: ${machineLine(r.machine)}; ${r.eslTarget.description}; ${r.agent.process}, ESL pool ${r.agent.eslPoolSize}, log ${r.agent.logLevel}${overrides}; ${r.window.durationMs / 1000} s per case${run === '' ? '' : `; ${run}`}`, '', table, ''];
  // A smoke run's numbers mean nothing: no comparison with numbers from elsewhere.
  const smoke = r.mode === 'smoke';
  if (!smoke) lines.push(anchorLine(r.anchors));
  const nats = (clients: number): BusCommandRow | undefined => r.results.find((x) => x.path === 'bus' && x.driver === 'nats' && x.clients === clients);
  const n1 = nats(1);
  const n64 = nats(64);
  const d1 = direct(1);
  if (n64) lines.push(`nats, 64 clients: ${int(n64.perSec)} commands/s${smoke ? '' : ` (target >= ${int(r.anchors.clients64.perSec)}/s: the anchor's)`}`);
  if (n1) lines.push(`nats, 1 client: p50 ${ms(n1.latency.p50)} ms (target <= 0.3 ms)`);
  const e1 = r.results.find((x) => x.path === 'broker-echo' && x.driver === 'nats' && x.clients === 1);
  if (n1 && d1) {
    const split = e1 ? ` = broker round trip ${ms(e1.latency.p50)} ms (echo responder) + agent ${ms(n1.latency.p50 - d1.latency.p50 - e1.latency.p50)} ms` : '';
    lines.push(`nats, 1 client: bus overhead over direct ESL at p50 ${ms(n1.latency.p50 - d1.latency.p50)} ms${split} (target <= 0.15 ms)`);
  }
  const ceiling = r.results.find((x) => x.path === 'sim-ceiling');
  if (ceiling) lines.push(`${switchName(r.eslTarget)} ceiling (raw ESL, 4 connections x 16 pipelined): ${int(ceiling.perSec)} api status/s`);
  const notMeasured = driversLine(r.drivers);
  if (notMeasured !== undefined) lines.push(notMeasured);
  return lines.join('\n');
}
