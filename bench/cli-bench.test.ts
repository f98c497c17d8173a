/** `fsbus bench`: suite dispatch, unknown suites, a real (smoke) run through the CLI, and a stop by signal that leaves nothing running. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

void test('every suite answers --help with its options and a bad option with one line, exit 2, no stack', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const suite = (name: string, ...args: string[]) => spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', `bench/${name}/run.ts`, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  for (const name of BENCH_SUITES) {
    const help = suite(name, '--help');
    assert.equal(help.status, 0, `${name} --help: ${help.stderr}`);
    assert.match(help.stdout, /--json out\.json.*--only/, name);
  }
  for (const name of ['esl-parse', 'bus-events']) {
    const bad = suite(name, '--bogus');
    assert.equal(bad.status, 2, name);
    assert.match(bad.stderr, new RegExp(`^${name}: unknown option --bogus`), name);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
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

/** Processes whose command line contains `needle` (Linux /proc), with their parent pid. */
function processes(needle: string): Array<{ pid: number; ppid: number }> {
  const found: Array<{ pid: number; ppid: number }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (!cmdline.includes(needle)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state[0] !== 'Z') found.push({ pid: Number(entry), ppid: Number(state[1]) });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // polling a process table, bounded
  }
}

void test('a SIGTERM to fsbus bench stops the suite and everything it started (simulator, agent, broker)', async () => {
  const t = io();
  const running = benchCommand.run(['memory', '--minutes', '1'], t.io);
  const suite = await until('the suite process', () => processes('bench/memory/run.ts').find((p) => p.ppid === process.pid));
  await until('its agent', () => (processes(`cli-${suite.pid}/main.mjs agent`).length > 0 ? true : undefined));
  assert.ok(processes(`fsbus-test-${suite.pid}`).length > 0, 'its nats-server runs');
  process.emit('SIGTERM', 'SIGTERM'); // what a `kill` of the CLI delivers; forwarded to the suite
  assert.equal(await running, 143);
  await until('no simulator, agent or nats-server left', () =>
    processes(`cli-${suite.pid}/`).length + processes(`fsbus-test-${suite.pid}`).length === 0 ? true : undefined,
  10_000);
});

void test('profile-summary answers --help, summarizes a profile and names an unreadable file in one line', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const run = (...args: string[]) => spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/profile-summary.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const help = run('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^usage: profile-summary\.ts/);
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-profile-summary-'));
  try {
    // Two functions of ours, 3 ms and 1 ms of self time.
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3] },
        { id: 2, callFrame: { functionName: 'parse', url: 'file:///x/packages/esl/src/parser.ts', lineNumber: 9 } },
        { id: 3, callFrame: { functionName: 'publish', url: 'file:///x/packages/agent/src/event-publisher.ts', lineNumber: 19 } },
      ],
      samples: [2, 2, 2, 3],
      timeDeltas: [1000, 1000, 1000, 1000],
      startTime: 0,
      endTime: 4000,
    };
    const file = join(dir, 'p.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    const summary = run(file);
    assert.equal(summary.status, 0, summary.stderr);
    assert.match(summary.stdout, /75\.0%\s+3 ms\s+esl\b/);
    assert.match(summary.stdout, /25\.0%\s+1 ms\s+publish packages\/agent\/src\/event-publisher\.ts:20/);
    const missing = run(join(dir, 'nope.cpuprofile'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^profile-summary: .*nope\.cpuprofile: ENOENT/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
