/**
 * Keeps the bus-events benchmark from rotting: --smoke (one low rate) direct over ESL and over
 * NATS through the agent process, then the report's shape: everything injected arrived (a low
 * rate on loopback loses nothing, so a loss here is a bug, not a timing), agent stats present.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { positive, runFailing, runSmoke } from '../lib/smoke.js';
import { saturationOf, type BusEventsReport, type BusEventsRow } from './report.js';

void test('bench/bus-events --smoke delivers every injected event and reports the agent', async () => {
  const { report, stdout } = await runSmoke<BusEventsReport>('bus-events');
  assert.equal(report.benchmark, 'bus-events');
  assert.equal(report.mode, 'smoke');
  assert.ok(report.drivers.measured.includes('nats'));
  const paths = report.results.map((r) => `${r.path}/${r.driver}`);
  assert.deepStrictEqual(paths, ['direct-esl/-', ...report.drivers.measured.map((d) => `bus/${d}`)]);
  for (const r of report.results) {
    assert.equal(r.produced, Math.round(r.rate * report.window.durationMs / 1000), `${r.driver}: the simulator produced the whole step`);
    assert.equal(r.lost, Math.max(0, r.produced - r.received));
    assert.equal(r.latency.count, r.received, 'every event carried a readable timestamp');
    // Loss must be zero directly and over NATS; other drivers' is reported (their own suites judge them).
    if (r.driver === '-' || r.driver === 'nats') assert.equal(r.received, r.produced, `${r.path} ${r.driver}: every event arrived`);
    assert.ok(positive(r.latency.max));
    // Where the machine went: the simulator, the receiver (this suite's process), the machine.
    const cpu = r.machine?.processes ?? {};
    for (const name of ['sim', 'client', ...(r.path === 'bus' ? ['agent'] : [])]) assert.ok(Number.isFinite(cpu[name]) && cpu[name]! >= 0, `${r.path} ${r.driver}: ${name} CPU measured`);
    assert.ok(r.machine !== undefined && Number.isFinite(r.machine.machinePercent));
    if (r.driver === 'nats') assert.ok(Number.isFinite(cpu['broker']), 'nats-server CPU measured');
    if (r.path === 'bus') {
      assert.ok(r.agent !== undefined && positive(r.agent.peakRssMb) && Number.isFinite(r.agent.cpuPercent));
      if (r.driver === 'nats') {
        assert.equal(r.agent.drops, 0);
        // The agent's own counters over the step account for every event the subscriber got.
        assert.ok(r.agent.received !== undefined && r.agent.received >= r.produced, `the agent read ${r.agent.received} of ${r.produced}`);
        assert.ok(r.agent.published !== undefined && r.agent.published >= r.received, `the agent published ${r.agent.published}, ${r.received} arrived`);
      }
      assert.ok(r.avgEventBytes > 500, 'the bus event carries the injected headers');
    }
  }
  assert.deepStrictEqual(report.saturation.map((s) => `${s.path}/${s.driver}`), paths);
  assert.match(stdout, /\| sim CPU \| broker CPU \| receiver CPU \| machine busy \|/);
  assert.match(stdout, /nats: clean up to the [\d,]+\/s step \([\d,]+ events\/s delivered\)/);
  assert.match(report.source?.commit ?? '', /^[0-9a-f]{40}$/);
  assert.ok(report.loadAvg !== undefined && report.loadAvg.start.length === 3 && report.loadAvg.end.length === 3 && Number.isFinite(report.machineBusyPercent));
});

/** A step that delivered everything at the offered rate, with this p99 (ms). */
const step = (rate: number, p99: number, delivered = rate): BusEventsRow => ({
  path: 'bus',
  driver: 'nats',
  rate,
  produced: rate * 3,
  received: rate * 3,
  lost: 0,
  deliveredPerSec: delivered,
  sourcePerSec: rate,
  latency: { count: rate * 3, p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 1.1, mean: p99 / 4 },
  avgEventBytes: 1500,
});

void test('a step whose queue grows is not clean, even when it delivered >= 95 % of the source', () => {
  // The published 50,000/s step: 96 % delivered while p99 went from 33 to 145 ms.
  const [sat] = saturationOf([step(30_000, 21.6), step(40_000, 32.9), step(50_000, 145.4, 48_009), step(75_000, 1929, 45_544)]);
  assert.equal(sat?.maxCleanRate, 40_000);
  assert.equal(sat?.saturatesAt, 50_000);
  assert.match(sat?.reason ?? '', /p99 145\.4 ms, over 98\.7 ms \(3x the 40,000\/s step's 32\.9 ms\)/);
  // Below the 50 ms floor latency never counts against a step; the first step has nothing to compare with.
  assert.equal(saturationOf([step(5000, 2), step(10_000, 45)])[0]?.saturatesAt, undefined);
  assert.equal(saturationOf([step(5000, 80), step(10_000, 200)])[0]?.saturatesAt, undefined);
  assert.equal(saturationOf([step(5000, 20), step(10_000, 61)])[0]?.saturatesAt, 10_000);
});

void test('a driver named in --only that fails fails the run', async () => {
  const failed = await runFailing('bus-events', ['--smoke', '--only', 'nats', '--agent-config', '{"broker":{"urls":"nats://127.0.0.1:1"}}']);
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /bus-events: nats \(named in --only\) was not measured: failed during the run/);
});
