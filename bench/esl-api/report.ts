/** esl-api's report shape and table. */
import { machineLine, type ReportEnvelope } from '../lib/envelope.js';
import type { LoadResult } from '../lib/load.js';
import { int, markdownTable, ms, ratio } from '../lib/table.js';

export interface EslApiCase {
  connections: number;
  /** Requests in flight per connection. */
  depth: number;
}

export interface EslApiRow extends LoadResult {
  peer: string;
  version: string;
  operation: string;
  connections: number;
  depth: number;
  /** perSec divided by the raw socket's in the same case. */
  vsRaw: number;
  /** The best of this many rounds is reported. */
  rounds: number;
}

export interface EslApiReport extends ReportEnvelope<'esl-api'> {
  /** What answered: the simulator, or the FreeSWITCH of `--freeswitch`. */
  eslTarget: { description: string; external: boolean };
  cases: EslApiCase[];
  results: EslApiRow[];
  targets: {
    /** @fsbus/esl over one connection, one in flight, as a share of the raw socket's rate. */
    oneConnectionVsRaw: number;
    /** @fsbus/esl on the largest connection count vs one connection (same depth 1). */
    connectionScaling: number;
  };
}

export function formatEslApi(r: EslApiReport): string {
  const maxConns = Math.max(...r.cases.map((c) => c.connections));
  const rows = r.results.map((x) => [
    `${x.connections}x${x.depth}`,
    `${x.peer}${x.version === '-' ? '' : ` ${x.version}`}`,
    x.operation,
    int(x.perSec),
    ms(x.latency.p50),
    ms(x.latency.p99),
    ratio(x.vsRaw),
    x.errors,
  ]);
  const table = markdownTable(
    [{ title: 'conns x in flight' }, { title: 'client' }, { title: 'op' }, { title: 'round trips/s', right: true }, { title: 'p50 ms', right: true }, { title: 'p99 ms', right: true }, { title: 'vs raw', right: true }, { title: 'errors', right: true }],
    rows,
  );
  return [
    `esl-api: ${machineLine(r.machine)}; ${r.eslTarget.description}; ${r.window.durationMs / 1000} s per case after ${r.window.warmupMs / 1000} s warm-up, best of ${r.results[0]?.rounds ?? 1} interleaved rounds`,
    '',
    table,
    '',
    `@fsbus/esl, one connection: ${(r.targets.oneConnectionVsRaw * 100).toFixed(0)}% of the raw one-connection round-trip limit (target >= 90%)`,
    `@fsbus/esl, ${maxConns} connections vs 1: ${ratio(r.targets.connectionScaling)}`,
  ].join('\n');
}

