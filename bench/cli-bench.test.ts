/** `fsbus bench`: suite dispatch, unknown suites, and a real (smoke) run through the CLI. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchCommand, BENCH_SUITES } from '../packages/cli/src/commands/bench.js';

function io(): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

void test('fsbus bench lists every suite in its help and refuses unknown ones', async () => {
  for (const s of BENCH_SUITES) assert.ok(benchCommand.help.includes(s), s);
  const t = io();
  assert.equal(await benchCommand.run(['nope'], t.io), 2);
  assert.match(t.err.join('\n'), /unknown suite "nope"/);
  const u = io();
  assert.equal(await benchCommand.run([], u.io), 2);
  assert.match(u.err.join('\n'), /usage: fsbus bench/);
});

void test('fsbus bench esl-parse --smoke runs the suite and writes its report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-cli-bench-'));
  try {
    const out = join(dir, 'r.json');
    const t = io();
    assert.equal(await benchCommand.run(['esl-parse', '--smoke', '--json', out], t.io), 0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { benchmark: string; input: { smoke: boolean } };
    assert.equal(report.benchmark, 'esl-parse');
    assert.equal(report.input.smoke, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
