/**
 * Keeps the bus-command benchmark from rotting: --smoke over NATS (a real nats-server, the
 * agent and the simulator as processes), then the report's shape. Never its numbers.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Simulator } from '@fsbus/sim';
import { REPO_ROOT } from '../lib/paths.js';
import { positive, runFailing, runSmoke } from '../lib/smoke.js';
import { formatBusCommand, type BusCommandReport } from './report.js';

/** The committed results: an old report (written before `source`, `load` and `drivers.failed`). */
const published = (): BusCommandReport => JSON.parse(readFileSync(join(REPO_ROOT, 'bench/results/bus-command.json'), 'utf8')) as BusCommandReport;

void test('bench/bus-command --smoke measures direct ESL, the simulator ceiling and every runnable driver', async () => {
  const { report, stdout } = await runSmoke<BusCommandReport>('bus-command');
  assert.equal(report.benchmark, 'bus-command');
  assert.equal(report.mode, 'smoke');
  assert.ok(report.drivers.measured.includes('nats'));
  // Every roadmap driver is either measured or listed, with a reason, as missing here or failed during the run.
  const notMeasured = [...report.drivers.missing, ...(report.drivers.failed ?? [])];
  const all = [...report.drivers.measured, ...notMeasured.map((m) => m.driver)].sort();
  assert.deepStrictEqual(all, ['amqp', 'kafka', 'mqtt', 'nats', 'redis', 'zmq']);
  for (const m of notMeasured) assert.ok(m.reason.length > 0);
  const keys = report.results.map((r) => `${r.path}/${r.driver}/${r.clients}`);
  const expected = [
    ...[1, 16, 64].map((c) => `direct-esl/-/${c}`),
    'sim-ceiling/-/64',
    // Per driver: the broker's floor (an echo responder; zmq has no broker), then through the agent.
    ...report.drivers.measured.flatMap((d) => [...(d === 'zmq' ? [] : [1, 64].map((c) => `broker-echo/${d}/${c}`)), ...[1, 16, 64].map((c) => `bus/${d}/${c}`)]),
  ];
  assert.deepStrictEqual(keys, expected);
  for (const r of report.results) {
    // Errors must be zero on the baselines and NATS; other drivers' are reported (their own suites judge them).
    if (r.driver === '-' || r.driver === 'nats') assert.equal(r.errors, 0, `${r.path} ${r.driver} ${r.clients}: ${r.firstError ?? ''}`);
    assert.ok(Number.isInteger(r.errors) && r.errors >= 0);
    assert.ok(positive(r.perSec) && positive(r.latency.p50), `${r.path} ${r.driver}`);
    assert.ok(r.latency.p50 <= r.latency.p90 && r.latency.p90 <= r.latency.p99 && r.latency.p99 <= r.latency.max);
    if (r.path === 'bus') assert.ok(r.cpu !== undefined && Number.isFinite(r.cpu.cpuPercent) && positive(r.cpu.rssMb));
  }
  assert.match(stdout, /nats, 64 clients: [\d,]+ commands\/s/);
  assert.match(stdout, /bus overhead over direct ESL at p50 [\d.-]+ ms = broker round trip/);
  // A smoke run's numbers mean nothing: no comparison with the anchor measured elsewhere.
  assert.doesNotMatch(stdout, /mod_event_agent|anchor/);
  // What was measured, and how busy the machine was.
  assert.match(report.source?.commit ?? '', /^[0-9a-f]{40}$/);
  assert.equal(typeof report.source?.dirty, 'boolean');
  assert.ok(report.loadAvg !== undefined && report.loadAvg.start.length === 3 && report.loadAvg.end.length === 3);
  assert.ok(Number.isFinite(report.machineBusyPercent));
});

void test('the anchor measured on another host is a line under the table, not a ratio column; old reports still render', () => {
  const normal = formatBusCommand(published());
  assert.doesNotMatch(normal, /vs mod_event_agent/);
  assert.match(normal, /^issue 8 anchor, measured on another host: .*3,000\/s.*1 client.*27,000\/s.*64.* — not a same-run ratio$/m);
  assert.match(normal, /nats, 64 clients: [\d,]+ commands\/s \(target >= 27,000\/s: the anchor's\)/);
  const smoke = formatBusCommand({ ...published(), mode: 'smoke' });
  assert.doesNotMatch(smoke, /mod_event_agent|anchor/);
});

const run = promisify(execFile);
/** `bench/report.ts` over a results directory: its exit code and stderr. */
async function report(results: string, ...extra: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/report.ts', '--results', results, '--out', join(results, 'out.md'), ...extra], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: unknown; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: e.stderr ?? '' };
  }
}

void test('a driver named in --only that fails fails the run, and bench/report.ts refuses to publish its report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-bench-failed-'));
  try {
    const json = join(dir, 'bus-command.json');
    // Nothing listens on port 1: the agent cannot reach the broker and exits.
    const failed = await runFailing('bus-command', ['--smoke', '--only', 'nats', '--agent-config', '{"broker":{"urls":"nats://127.0.0.1:1"}}', '--json', json]);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /bus-command: nats \(named in --only\) was not measured: failed during the run/);
    const written = JSON.parse(readFileSync(json, 'utf8')) as BusCommandReport;
    assert.deepStrictEqual(written.drivers.measured, []);
    assert.deepStrictEqual(written.drivers.failed?.map((f) => f.driver), ['nats']);

    const refused = await report(dir);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`${json.replaceAll('.', '\\.')} records a failed driver: nats \\(failed during the run`));
    assert.match(refused.stderr, /--allow-failed/);
    assert.equal((await report(dir, '--allow-failed')).code, 0);
    // Reports written before `drivers.failed` listed a failure under `missing`: refused all the same.
    const old = published();
    old.drivers.missing.push({ driver: 'amqp', reason: 'failed during the run: agent exited (78):' });
    writeFileSync(json, JSON.stringify(old));
    assert.match((await report(dir)).stderr, /bus-command\.json records a failed driver: amqp/);
    // A driver that is not there (not asked for by name) is skipped with its reason, as before.
    const notInstalled = published();
    notInstalled.drivers.missing.push({ driver: 'kafka', reason: 'no broker starter in @fsbus/testkit yet' });
    writeFileSync(json, JSON.stringify(notInstalled));
    assert.equal((await report(dir)).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('bench/bus-command --freeswitch measures a switch it did not start, logging in with FSBUS_ESL_PASSWORD', async () => {
  // Any Event Socket server will do: a simulator in this process, with a password of its own.
  const sim = new Simulator({ port: 0, password: 'not-the-default', heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  // The CLI's build goes where FSBUS_BENCH_BUILD_DIR says, outside the checkout here.
  const buildDir = mkdtempSync(join(tmpdir(), 'fsbus-bench-build-'));
  try {
    const env = { ...process.env, FSBUS_ESL_PASSWORD: 'not-the-default', FSBUS_BENCH_BUILD_DIR: buildDir };
    const { report, stdout } = await runSmoke<BusCommandReport>('bus-command', ['--only', 'nats', '--freeswitch', `127.0.0.1:${port}`], env);
    assert.equal(report.eslTarget.external, true);
    assert.match(report.eslTarget.description, new RegExp(`^FreeSWITCH at 127\\.0\\.0\\.1:${port} \\(FreeSWITCH Version 1\\.10\\.12`));
    assert.deepStrictEqual(
      report.results.map((r) => `${r.path}/${r.driver}/${r.clients}`),
      ['direct-esl/-/1', 'direct-esl/-/16', 'direct-esl/-/64', 'sim-ceiling/-/64', 'broker-echo/nats/1', 'broker-echo/nats/64', 'bus/nats/1', 'bus/nats/16', 'bus/nats/64'],
    );
    for (const r of report.results) {
      assert.equal(r.errors, 0, `${r.path} ${r.driver} ${r.clients}: ${r.firstError ?? ''}`);
      // Not our process: no CPU column for the switch.
      assert.equal(r.machine.processes['sim'], undefined);
    }
    assert.match(stdout, /FreeSWITCH ceiling \(raw ESL/);
    // Built there (third-party packages still found in the checkout), and removed at exit.
    assert.deepStrictEqual(readdirSync(buildDir), []);
    const notADir = join(buildDir, 'a-file');
    writeFileSync(notADir, '');
    const refused = await runFailing('bus-command', ['--smoke', '--only', 'nats', '--freeswitch', `127.0.0.1:${port}`], { ...env, FSBUS_BENCH_BUILD_DIR: notADir });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(notADir.replaceAll('.', '\\.')));
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
    await sim.stop();
  }
});

void test('--freeswitch: a switch that refuses the password stops the run by name; suites that need the simulator refuse it', async () => {
  const sim = new Simulator({ port: 0, password: 'right', heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  try {
    const wrong = await runFailing('esl-api', ['--smoke', '--freeswitch', `127.0.0.1:${port}`], { ...process.env, FSBUS_ESL_PASSWORD: 'wrong' });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, new RegExp(`--freeswitch 127\\.0\\.0\\.1:${port}: cannot log in`));
  } finally {
    await sim.stop();
  }
  const refused = await runFailing('bus-events', ['--smoke', '--freeswitch', '127.0.0.1:8021']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /bus-events cannot run against --freeswitch: it drives the simulator's event injector/);
  const bad = await runFailing('bus-command', ['--smoke', '--freeswitch', 'no-port']);
  assert.match(bad.stderr, /--freeswitch must be host:port, got "no-port"/);
});
