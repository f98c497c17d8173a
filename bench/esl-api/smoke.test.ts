/**
 * Keeps the esl-api benchmark from rotting: --smoke against a real simulator process, then the
 * report's shape (every client, every case, sane fields). Never its numbers.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../lib/paths.js';
import { positive, runSmoke } from '../lib/smoke.js';
import { formatEslApi, type EslApiReport } from './report.js';

void test('bench/esl-api --smoke runs every client in every case and reports them', async () => {
  const { report, stdout } = await runSmoke<EslApiReport>('esl-api');
  assert.equal(report.benchmark, 'esl-api');
  assert.equal(report.mode, 'smoke');
  assert.ok(Number.isInteger(report.machine.cores) && report.machine.cores > 0);
  assert.match(report.machine.node, /^v\d+\./);
  const peers = ['raw socket', '@fsbus/esl', '@fsbus/esl bgapi', 'modesl', 'modesl + setNoDelay', 'esl-lite'];
  assert.deepStrictEqual(
    report.results.map((r) => `${r.connections}x${r.depth}/${r.peer}`),
    report.cases.flatMap((c) => peers.map((p) => `${c.connections}x${c.depth}/${p}`)),
  );
  for (const r of report.results) {
    assert.equal(r.errors, 0, `${r.peer} ${r.connections}x${r.depth}: ${r.firstError ?? ''}`);
    assert.ok(positive(r.ok) && positive(r.perSec) && positive(r.vsRaw), r.peer);
    assert.equal(r.latency.count, r.ok);
    assert.ok(r.latency.p50 <= r.latency.p99 && r.latency.p99 <= r.latency.max);
    // Ratios are paired within each round; the row reports their median and range.
    assert.ok(r.rounds >= 2, 'smoke runs at least two rounds');
    assert.equal(r.perSecByRound?.length, r.rounds, r.peer);
    assert.ok(positive(r.vsRawMin) && r.vsRawMin! <= r.vsRaw && r.vsRaw <= r.vsRawMax!, r.peer);
  }
  // Like for like: each peer against @fsbus/esl doing the same operation.
  const against = (peer: string): string | undefined => report.results.find((r) => r.peer === peer)?.fsbusOver?.against;
  assert.equal(against('esl-lite'), '@fsbus/esl bgapi');
  assert.equal(against('modesl'), '@fsbus/esl');
  assert.equal(against('modesl + setNoDelay'), '@fsbus/esl');
  assert.equal(against('raw socket'), undefined);
  const t = report.targets;
  assert.ok(positive(t.oneConnectionVsRaw) && positive(t.connectionScaling));
  for (const s of [t.vsModesl, t.vsModeslNagle, t.vsEslLite]) assert.ok(s !== undefined && positive(s.min) && s.min <= s.median && s.median <= s.max);
  for (const p of peers) assert.ok(stdout.includes(p), `table lists ${p}`);
  assert.match(stdout, /median of \d+ interleaved rounds/);
  assert.match(stdout, /@fsbus\/esl, one connection: \d+% \(\d+–\d+%\) of the raw one-connection round-trip/);
  assert.match(stdout, /@fsbus\/esl bgapi vs esl-lite \(both bgapi/);
  assert.match(stdout, /@fsbus\/esl vs modesl \+ setNoDelay/);
});

void test('an esl-api report from before the per-round ratios still renders', () => {
  const old = JSON.parse(readFileSync(join(REPO_ROOT, 'bench/results/esl-api.json'), 'utf8')) as EslApiReport;
  // Strip what newer reports add, in case the stored one is already new.
  old.results = old.results
    .filter((r) => r.peer !== '@fsbus/esl bgapi' && r.peer !== 'modesl + setNoDelay')
    .map(({ vsRawMin: _a, vsRawMax: _b, perSecByRound: _c, fsbusOver: _d, ...rest }) => rest);
  old.targets = { oneConnectionVsRaw: old.targets.oneConnectionVsRaw, connectionScaling: old.targets.connectionScaling };
  const text = formatEslApi(old);
  assert.doesNotMatch(text, /NaN|undefined/);
  assert.match(text, /@fsbus\/esl, one connection: \d+% of the raw/);
});
