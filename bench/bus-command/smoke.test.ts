/**
 * Keeps the bus-command benchmark from rotting: --smoke over NATS (a real nats-server, the
 * agent and the simulator as processes), then the report's shape. Never its numbers.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { positive, runSmoke } from '../lib/smoke.js';
import type { BusCommandReport } from './report.js';

void test('bench/bus-command --smoke measures direct ESL, the simulator ceiling and every runnable driver', async () => {
  const { report, stdout } = await runSmoke<BusCommandReport>('bus-command');
  assert.equal(report.benchmark, 'bus-command');
  assert.equal(report.mode, 'smoke');
  assert.ok(report.drivers.measured.includes('nats'));
  // Every roadmap driver is either measured or listed as missing with a reason.
  const all = [...report.drivers.measured, ...report.drivers.missing.map((m) => m.driver)].sort();
  assert.deepStrictEqual(all, ['amqp', 'kafka', 'mqtt', 'nats', 'redis', 'zmq']);
  for (const m of report.drivers.missing) assert.ok(m.reason.length > 0);
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
});
