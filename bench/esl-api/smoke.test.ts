/**
 * Keeps the esl-api benchmark from rotting: --smoke against a real simulator process, then the
 * report's shape (every client, every case, sane fields). Never its numbers.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { positive, runSmoke } from '../lib/smoke.js';
import type { EslApiReport } from './report.js';

void test('bench/esl-api --smoke runs every client in every case and reports them', async () => {
  const { report, stdout } = await runSmoke<EslApiReport>('esl-api');
  assert.equal(report.benchmark, 'esl-api');
  assert.equal(report.mode, 'smoke');
  assert.ok(Number.isInteger(report.machine.cores) && report.machine.cores > 0);
  assert.match(report.machine.node, /^v\d+\./);
  const peers = ['raw socket', '@fsbus/esl', 'modesl', 'esl-lite'];
  assert.deepStrictEqual(
    report.results.map((r) => `${r.connections}x${r.depth}/${r.peer}`),
    report.cases.flatMap((c) => peers.map((p) => `${c.connections}x${c.depth}/${p}`)),
  );
  for (const r of report.results) {
    assert.equal(r.errors, 0, `${r.peer} ${r.connections}x${r.depth}: ${r.firstError ?? ''}`);
    assert.ok(positive(r.ok) && positive(r.perSec) && positive(r.vsRaw), r.peer);
    assert.equal(r.latency.count, r.ok);
    assert.ok(r.latency.p50 <= r.latency.p99 && r.latency.p99 <= r.latency.max);
  }
  assert.ok(positive(report.targets.oneConnectionVsRaw) && positive(report.targets.connectionScaling));
  for (const p of peers) assert.ok(stdout.includes(p), `table lists ${p}`);
  assert.match(stdout, /@fsbus\/esl, one connection: \d+% of the raw one-connection round-trip limit/);
});
