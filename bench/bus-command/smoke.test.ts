/**
 * Keeps the bus-command benchmark from rotting: --smoke over NATS (a real nats-server, the
 * agent and the simulator as processes), then the report's shape. Never its numbers.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { positive, runFailing, runSmoke } from '../lib/smoke.js';
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

void test('bench/bus-command --freeswitch measures a switch it did not start, logging in with FSBUS_ESL_PASSWORD', async () => {
  // Any Event Socket server will do: a simulator in this process, with a password of its own.
  const sim = new Simulator({ port: 0, password: 'not-the-default', heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  try {
    const env = { ...process.env, FSBUS_ESL_PASSWORD: 'not-the-default' };
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
  } finally {
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
