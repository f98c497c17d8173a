/** esl-api's report shape and table. */
import { machineLine, type ReportEnvelope } from '../lib/envelope.js';
import type { LoadResult } from '../lib/load.js';
import { int, markdownTable, ms, ratio } from '../lib/table.js';

export interface EslApiCase {
  connections: number;
  /** Requests in flight per connection. */
  depth: number;
}

/** A ratio measured once per round: the median of the rounds and their range. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const median = n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  return { median, min: s[0]!, max: s[n - 1]! };
}

export interface EslApiRow extends LoadResult {
  peer: string;
  version: string;
  operation: string;
  connections: number;
  depth: number;
  /**
   * perSec divided by the raw socket's in the same case and round, median over the rounds
   * (reports without vsRawMin: the best round of each, divided).
   */
  vsRaw: number;
  /** Range of those per-round ratios (absent in older reports). */
  vsRawMin?: number;
  vsRawMax?: number;
  /**
   * Rounds measured. ok, perSec and latency are the median round's (by perSec); errors and stuck
   * add up every round (older reports: the best of `rounds`).
   */
  rounds: number;
  /** perSec in each round (absent in older reports). */
  perSecByRound?: number[];
  /** Like for like: @fsbus/esl doing the same operation (`against`), its rate ÷ this peer's, paired per round. */
  fsbusOver?: Spread & { against: string };
}

export interface EslApiReport extends ReportEnvelope<'esl-api'> {
  /** What answered: the simulator, or the FreeSWITCH of `--freeswitch`. */
  eslTarget: { description: string; external: boolean };
  cases: EslApiCase[];
  results: EslApiRow[];
  targets: {
    /** @fsbus/esl over one connection, one in flight, as a share of the raw socket's rate (median of the per-round ratios). */
    oneConnectionVsRaw: number;
    oneConnectionVsRawMin?: number;
    oneConnectionVsRawMax?: number;
    /** @fsbus/esl on the largest connection count vs one connection (same depth 1, same round; median). */
    connectionScaling: number;
    connectionScalingMin?: number;
    connectionScalingMax?: number;
    /** One connection, one in flight: @fsbus/esl ÷ modesl with setNoDelay (both `api`). */
    vsModesl?: Spread;
    /** The same against modesl as it ships (Nagle on). */
    vsModeslNagle?: Spread;
    /** The same, @fsbus/esl's `bgapi` ÷ esl-lite's (esl-lite has no `api`). */
    vsEslLite?: Spread;
  };
}

const range = (min: number | undefined, max: number | undefined, f: (n: number) => string, unit = ''): string =>
  min === undefined || max === undefined ? '' : ` (${f(min)}–${f(max)}${unit})`;
const percent = (n: number): string => (n * 100).toFixed(0);
const bare = (n: number): string => n.toFixed(2);
/** Above 1.0 the raw socket did less than a client on top of it: it is not the limit there. */
export const RAW_IS_NOT_THE_LIMIT = 'raw is not the limit here';
/** A ratio to raw that prints above 1.00x (or 100%): noise within the last digit is not flagged. */
export const aboveRaw = (vsRaw: number): boolean => vsRaw >= 1.005;

export function formatEslApi(r: EslApiReport): string {
  const maxConns = Math.max(...r.cases.map((c) => c.connections));
  const perRound = r.results.some((x) => x.vsRawMin !== undefined);
  const rows = r.results.map((x) => [
    `${x.connections}x${x.depth}`,
    `${x.peer}${x.version === '-' ? '' : ` ${x.version}`}`,
    x.operation,
    int(x.perSec),
    ms(x.latency.p50),
    ms(x.latency.p99),
    `${ratio(x.vsRaw)}${range(x.vsRawMin, x.vsRawMax, bare)}`,
    x.fsbusOver === undefined ? '' : `${ratio(x.fsbusOver.median)} (${bare(x.fsbusOver.min)}–${bare(x.fsbusOver.max)})`,
    x.errors,
  ]);
  const sameOp = r.results.some((x) => x.fsbusOver !== undefined);
  const columns = [
    { title: 'conns x in flight' },
    { title: 'client' },
    { title: 'op' },
    { title: 'round trips/s', right: true },
    { title: 'p50 ms', right: true },
    { title: 'p99 ms', right: true },
    { title: perRound ? 'vs raw (min–max)' : 'vs raw', right: true },
    { title: '@fsbus/esl same op ÷ this', right: true },
    { title: 'errors', right: true },
  ];
  const table = markdownTable(
    sameOp ? columns : columns.filter((_, i) => i !== 7),
    rows.map((row) => (sameOp ? row : row.filter((_, i) => i !== 7))),
  );
  const rounds = r.results[0]?.rounds ?? 1;
  const t = r.targets;
  const lines = [
    `esl-api: ${machineLine(r.machine)}; ${r.eslTarget.description}; ${r.window.durationMs / 1000} s per case after ${r.window.warmupMs / 1000} s warm-up, ${perRound ? `median of ${rounds} interleaved rounds (ratios paired within each round; min–max in brackets)` : `best of ${rounds} interleaved rounds`}`,
    '',
    table,
    '',
    `@fsbus/esl, one connection: ${percent(t.oneConnectionVsRaw)}%${range(t.oneConnectionVsRawMin, t.oneConnectionVsRawMax, percent, '%')} of the raw one-connection round-trip limit (target >= 90%)${aboveRaw(t.oneConnectionVsRaw) ? ` — ${RAW_IS_NOT_THE_LIMIT}` : ''}`,
    `@fsbus/esl, ${maxConns} connections vs 1: ${ratio(t.connectionScaling)}${range(t.connectionScalingMin, t.connectionScalingMax, bare)}`,
  ];
  // Like for like, per case: each peer against @fsbus/esl doing the same operation.
  for (const [peer, what] of [
    ['modesl + setNoDelay', '@fsbus/esl vs modesl + setNoDelay (both api, Nagle off)'],
    ['modesl', '@fsbus/esl vs modesl as it ships (Nagle on: ~40 ms a round trip against delayed ACKs)'],
    ['esl-lite', '@fsbus/esl bgapi vs esl-lite (both bgapi; esl-lite has no api)'],
  ] as const) {
    const per = r.results.filter((x) => x.peer === peer && x.fsbusOver !== undefined);
    if (per.length > 0) lines.push(`${what}: ${per.map((x) => `${x.connections}x${x.depth} ${ratio(x.fsbusOver!.median)}`).join(', ')}`);
  }
  const over = r.results.filter((x) => x.peer !== 'raw socket' && aboveRaw(x.vsRaw));
  if (over.length > 0) {
    lines.push(`Above 1.00x vs raw (${RAW_IS_NOT_THE_LIMIT}): ${over.map((x) => `${x.connections}x${x.depth} ${x.peer} ${ratio(x.vsRaw)}${range(x.vsRawMin, x.vsRawMax, bare)}`).join(', ')}`);
  }
  return lines.join('\n');
}
