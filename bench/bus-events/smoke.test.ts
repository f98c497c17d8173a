/**
 * Keeps the bus-events benchmark from rotting: --smoke (one low rate) direct over ESL and over
 * NATS through the agent process, then the report's shape: everything injected arrived (a low
 * rate on loopback loses nothing, so a loss here is a bug, not a timing), agent stats present.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { positive, runSmoke } from '../lib/smoke.js';
import type { BusEventsReport } from './report.js';

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
});
