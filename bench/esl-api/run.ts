/**
 * esl-api benchmark: `api status` round trips/s and latency against the simulator (`fsbus sim`
 * in its own process) — @fsbus/esl vs modesl (as it ships, and with setNoDelay) vs esl-lite
 * (`bgapi`, against @fsbus/esl's `bgapi`) vs a raw socket, over one connection and several, one
 * request in flight per worker or pipelined.
 *
 *   node --conditions=source --import tsx bench/esl-api/run.ts [--json out.json] [--smoke]
 */
import { openEslTarget } from '../lib/esl-target.js';
import { suiteArgsOrExit, writeReport } from '../lib/cli-args.js';
import { envelope, switchName } from '../lib/envelope.js';
import { runClosedLoop, type LoadResult } from '../lib/load.js';
import { Progress } from '../lib/progress.js';
import { int } from '../lib/table.js';
import { ESL_PEERS, eslLitePeer, fsbusBgapiPeer, fsbusPeer, fsbusSameOp, modeslNoDelayPeer, modeslPeer, rawPeer, type EslPeer } from './peers.js';
import { formatEslApi, spread, type EslApiCase, type EslApiReport, type EslApiRow, type Spread } from './report.js';

export const CASES: readonly EslApiCase[] = [
  { connections: 1, depth: 1 },
  { connections: 1, depth: 16 },
  { connections: 4, depth: 1 },
  { connections: 4, depth: 16 },
];

const args = suiteArgsOrExit('esl-api', process.argv.slice(2));
const window = args.smoke ? { warmupMs: 100, durationMs: 300 } : { warmupMs: 1000, durationMs: 3000 };
const progress = new Progress('esl-api');

const target = await openEslTarget(args, progress);
/**
 * Rounds, each running every case and every peer (interleaved), so a ratio divides two rates of
 * the same round: another tenant's burst on this shared machine hits both sides of it, and the
 * median of the rounds' ratios does not pick maxima from different moments.
 */
const ROUNDS = args.smoke ? 2 : 5;
/** measured[case][peer name][round] */
const measured = CASES.map(() => new Map<string, LoadResult[]>(ESL_PEERS.map((p) => [p.name, []])));
try {
  // Warm the simulator's JIT before the first case, or whoever runs first pays for it.
  progress.step('warming up the switch');
  const warm = await rawPeer.open(target, 4);
  await runClosedLoop(warm.call, { workers: 64, warmupMs: 0, durationMs: args.smoke ? 200 : 3000 });
  await warm.close();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [ci, c] of CASES.entries()) {
      for (const peer of ESL_PEERS) {
        let live = 0;
        progress.step(`round ${round + 1}/${ROUNDS}, ${c.connections} conn x ${c.depth} in flight: ${peer.name}`, () => `${int(live)} ok`);
        const opened = await peer.open(target, c.connections);
        let r: LoadResult;
        try {
          r = await runClosedLoop(opened.call, { workers: c.connections * c.depth, ...window, onCount: (n) => (live = n) });
        } finally {
          await opened.close();
        }
        if (r.ok === 0) throw new Error(`${peer.name} answered nothing (${c.connections}x${c.depth}): ${r.firstError ?? 'no error either'}`);
        measured[ci]!.get(peer.name)!.push(r);
      }
    }
  }
} finally {
  progress.step(`done with the ${switchName(target)}`);
  await target.stop();
  progress.done();
}

const roundsOf = (ci: number, peer: EslPeer): LoadResult[] => measured[ci]!.get(peer.name)!;
/** a's rate ÷ b's, round by round. */
const paired = (a: LoadResult[], b: LoadResult[]): Spread => spread(a.map((r, i) => r.perSec / b[i]!.perSec));

const results: EslApiRow[] = [];
for (const [ci, c] of CASES.entries()) {
  const raw = roundsOf(ci, rawPeer);
  for (const peer of ESL_PEERS) {
    const rs = roundsOf(ci, peer);
    // The round with the median rate stands for the peer (lower median for an even count).
    const typical = [...rs].sort((a, b) => a.perSec - b.perSec)[Math.ceil(rs.length / 2) - 1]!;
    const vsRaw = paired(rs, raw);
    const same = fsbusSameOp(peer);
    const row: EslApiRow = {
      peer: peer.name,
      version: peer.version,
      operation: peer.operation,
      ...c,
      ...typical,
      errors: rs.reduce((n, r) => n + r.errors, 0),
      firstError: rs.find((r) => r.firstError !== undefined)?.firstError,
      stuck: rs.reduce((n, r) => n + r.stuck, 0),
      vsRaw: vsRaw.median,
      vsRawMin: vsRaw.min,
      vsRawMax: vsRaw.max,
      rounds: ROUNDS,
      perSecByRound: rs.map((r) => r.perSec),
    };
    if (same !== undefined) row.fsbusOver = { against: same.name, ...paired(roundsOf(ci, same), rs) };
    results.push(row);
  }
}

const caseIndex = (connections: number, depth: number): number => CASES.findIndex((c) => c.connections === connections && c.depth === depth);
const one = caseIndex(1, 1);
const maxConns = Math.max(...CASES.map((c) => c.connections));
const oneVsRaw = paired(roundsOf(one, fsbusPeer), roundsOf(one, rawPeer));
const scaling = paired(roundsOf(caseIndex(maxConns, 1), fsbusPeer), roundsOf(one, fsbusPeer));
const report: EslApiReport = {
  ...envelope('esl-api', args, window),
  eslTarget: { description: target.description, external: target.external },
  cases: [...CASES],
  results,
  targets: {
    oneConnectionVsRaw: oneVsRaw.median,
    oneConnectionVsRawMin: oneVsRaw.min,
    oneConnectionVsRawMax: oneVsRaw.max,
    connectionScaling: scaling.median,
    connectionScalingMin: scaling.min,
    connectionScalingMax: scaling.max,
    vsModesl: paired(roundsOf(one, fsbusPeer), roundsOf(one, modeslNoDelayPeer)),
    vsModeslNagle: paired(roundsOf(one, fsbusPeer), roundsOf(one, modeslPeer)),
    vsEslLite: paired(roundsOf(one, fsbusBgapiPeer), roundsOf(one, eslLitePeer)),
  },
};

console.log(formatEslApi(report));
writeReport(args.json, report);
