/**
 * Keeps the esl-parse benchmark from rotting: runs it in --smoke mode (a tiny stream, one
 * iteration) and checks the JSON report's shape. Never its numbers: timings stay out of tests.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { BenchReport } from './report.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

void test('bench/esl-parse --smoke runs and writes a well-formed report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-bench-'));
  try {
    const out = join(dir, 'report.json');
    const stdout = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/esl-parse/run.ts', '--smoke', '--json', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000, // bounds a hung run; not a synchronisation
    });
    const report = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
    assert.equal(report.benchmark, 'esl-parse');
    assert.equal(report.input.smoke, true);
    assert.ok(['fixtures', 'generated'].includes(report.input.source));
    assert.equal(report.input.chunkBytes, 64 * 1024);
    assert.equal(typeof report.machine.cpuModel, 'string');
    assert.ok(Number.isInteger(report.machine.cores) && report.machine.cores > 0);
    assert.match(report.machine.node, /^v\d+\./);
    // A busy machine shows: the load at the start and at the end of the run.
    for (const load of [report.machine.loadAvgStart, report.machine.loadAvgEnd]) assert.ok(load !== undefined && load.length === 3 && load.every((n) => Number.isFinite(n) && n >= 0));
    assert.deepStrictEqual(report.input.streams.map((s) => s.format), ['plain', 'json']);
    for (const s of report.input.streams) assert.ok(s.bytes > 0 && s.events > 0 && s.distinctEvents > 0);

    const libraries = ['@fsbus/esl', 'modesl', 'esl-lite'];
    const cases = report.input.streams.flatMap((s) => ['name', 'all'].map((reads) => `${s.format}/${reads}`));
    assert.deepStrictEqual(
      report.results.map((r) => `${r.format}/${r.reads}/${r.library}`),
      cases.flatMap((c) => libraries.map((l) => `${c}/${l}`)),
    );
    for (const r of report.results) {
      assert.ok(r.version.length > 0);
      assert.equal(r.samplesMs.length, report.input.iterations);
      for (const n of [r.medianMs, r.eventsPerSec, r.mbPerSec]) assert.ok(Number.isFinite(n) && n > 0, `${r.library} ${r.format}`);
    }
    assert.deepStrictEqual(report.ratios.map((q) => `${q.format}/${q.reads}`), cases);
    for (const q of report.ratios) assert.ok(['modesl', 'esl-lite'].includes(q.fastestPeer) && Number.isFinite(q.ratio) && q.ratio > 0);
    // The table on stdout names every library and states each ratio.
    for (const l of libraries) assert.ok(stdout.includes(l), `table lists ${l}`);
    assert.match(stdout, /event-plain, reads=name: @fsbus\/esl is [\d.]+x/);

    // docs/benchmarks.md's target table judges both ways of reading plain events, not only the
    // faster one (reading every header missed the target while the page said only "met").
    const results = join(dir, 'results');
    mkdirSync(results);
    renameSync(out, join(results, 'esl-parse.json'));
    const page = join(results, 'benchmarks.md');
    execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/report.ts', '--results', results, '--out', page], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const text = readFileSync(page, 'utf8');
    for (const how of ['reading headers by name', 'reading every header']) {
      assert.match(text, new RegExp(`^\\| esl-parse +\\| >= 3x the faster peer \\(plain events, ${how}\\) +\\| [\\d.]+x (modesl|esl-lite) +\\| (yes|\\*\\*no\\*\\*) +\\|$`, 'm'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
