/** The benchmark helpers that turn samples into numbers and pages: percentiles, tables, saturation, chart. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { payloadTimestamp } from '../bus-events/steps.js';
import { saturationOf, type BusEventsRow } from '../bus-events/report.js';
import { Latencies, summarize } from './stats.js';
import { markdownTable } from './table.js';
import { renderChart } from './svg-chart.js';
import { parseSuiteArgs } from './cli-args.js';
import { floorByFifth, medianByFifth } from '../memory/report.js';
import { runClosedLoop } from './load.js';
import { unmeasuredFailures } from './brokers.js';

void test('percentiles are nearest-rank over every sample', () => {
  const l = new Latencies();
  for (let i = 1; i <= 2000; i++) l.add(i); // grows past the initial 1024 slots
  assert.deepStrictEqual(l.summary(), { count: 2000, p50: 1000, p90: 1800, p99: 1980, max: 2000, mean: 1000.5 });
  assert.deepStrictEqual(summarize(new Float64Array([5])), { count: 1, p50: 5, p90: 5, p99: 5, max: 5, mean: 5 });
  assert.equal(summarize(new Float64Array()).count, 0);
});

void test('markdown tables pad columns and right-align numbers', () => {
  const t = markdownTable([{ title: 'name' }, { title: 'n', right: true }], [['a', 1], ['bbbb', 22]]);
  assert.equal(t, ['| name |   n |', '|------|----:|', '| a    |   1 |', '| bbbb |  22 |'].join('\n'));
});

void test('the event timestamp is read from the payload bytes without parsing the event', () => {
  const bytes = new TextEncoder().encode('{"event_name":"CUSTOM","timestamp":1795328885424395,"node_id":"n","headers":{"timestamp":"1"}}');
  assert.equal(payloadTimestamp(bytes), 1795328885424395);
  assert.ok(Number.isNaN(payloadTimestamp(new TextEncoder().encode('{"event_name":"X"}'))));
});

function row(rate: number, source: number, delivered: number, lost: number): BusEventsRow {
  const latency = { count: 1, p50: 1, p90: 1, p99: 1, max: 1, mean: 1 };
  return { path: 'bus', driver: 'nats', rate, produced: 100, received: 100 - lost, lost, deliveredPerSec: delivered, sourcePerSec: source, latency, avgEventBytes: 1 };
}

void test('saturation starts at the first step that loses events or falls behind the source', () => {
  const [s] = saturationOf([row(1000, 1000, 990, 0), row(2000, 1900, 1810, 0), row(5000, 4000, 3000, 0), row(9000, 8000, 8000, 0)]);
  assert.deepStrictEqual(s, { path: 'bus', driver: 'nats', maxCleanRate: 2000, maxCleanDelivered: 1810, saturatesAt: 5000, reason: 'delivered 3,000/s while the source produced 4,000/s' });
  // Keeping up means within 5 % of the source's rate: 94 % is a queue building up.
  const [behind] = saturationOf([row(1000, 1000, 990, 0), row(2000, 2000, 1880, 0)]);
  assert.equal(behind?.saturatesAt, 2000);
  assert.equal(behind?.reason, 'delivered 1,880/s while the source produced 2,000/s');
  const [lossy] = saturationOf([row(1000, 1000, 1000, 3)]);
  assert.equal(lossy?.maxCleanRate, 0);
  assert.equal(lossy?.reason, '3 lost');
  // With the agent's counters, a loss says where it happened.
  const counted = (agent: Partial<NonNullable<BusEventsRow['agent']>>): BusEventsRow => ({ ...row(1000, 1000, 1000, 30), agent: { cpuPercent: 50, rssMb: 80, peakRssMb: 80, drops: 0, ...agent } });
  assert.equal(saturationOf([counted({ received: 80, published: 80 })])[0]?.reason, "30 lost: 20 never read by the agent (FreeSWITCH's listener queue overflowed), 10 lost after the agent handed them to the driver");
  assert.equal(saturationOf([counted({ received: 100, published: 100, drops: 30 })])[0]?.reason, '30 lost: 30 dropped by the agent, counted');
  assert.equal(saturationOf([counted({ received: 100, published: 95, drops: 5, failed: 5 })])[0]?.reason, '30 lost: 5 dropped by the agent, counted, 25 lost after the agent handed them to the driver');
  assert.equal(saturationOf([row(1000, 1000, 1000, 0)])[0]?.saturatesAt, undefined);
  // A step the machine could not even produce measured nothing above the rate it did produce.
  const [short] = saturationOf([row(1000, 1000, 1000, 0), row(100_000, 52_000, 51_000, 0)]);
  assert.equal(short?.saturatesAt, 100_000);
  assert.equal(short?.reason, 'the simulator produced only 52,000/s of the 100,000/s offered: the machine is saturated');
});

void test('the chart is one SVG with a bar and a label per value, text escaped', () => {
  const svg = renderChart('t & <u>', [{ title: 'p', unit: 'ms', log: true, groups: [{ label: 'a<b', bars: [{ series: 'p50', value: 0.5 }, { series: 'p99', value: 12 }] }] }]);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<rect x="\d+" y="\d+" width="[\d.]+" height="14"/g) ?? []).length, 2);
  assert.ok(svg.includes('t &amp; &lt;u&gt;') && svg.includes('a&lt;b') && svg.includes('12.00 ms'));
  assert.ok(!svg.includes('NaN'));
});

void test('suite options: values, flags, unknown options refused', () => {
  const a = parseSuiteArgs(['--json', 'o.json', '--smoke', '--only', 'nats,AMQP', '--child-flags', '--cpu-prof --cpu-prof-dir=/tmp/p', '--agent-config', '{"log_level":"warn"}']);
  assert.deepStrictEqual(a, { json: 'o.json', smoke: true, full: false, minutes: undefined, childFlags: ['--cpu-prof', '--cpu-prof-dir=/tmp/p'], agentFlags: [], only: ['nats', 'amqp'], agentConfig: { log_level: 'warn' }, freeswitch: undefined });
  assert.deepStrictEqual(parseSuiteArgs(['--agent-flags', '--max-semi-space-size=4', '--smoke']).agentFlags, ['--max-semi-space-size=4']);
  const soak = parseSuiteArgs(['--minutes', '30']);
  assert.equal(soak.minutes, 30);
  assert.equal(soak.full, true, '--minutes is a long run');
  for (const bad of ['0', '-5', 'x', '2000']) assert.throws(() => parseSuiteArgs(['--minutes', bad]), /--minutes must be a number of minutes/, bad);
  assert.deepStrictEqual(parseSuiteArgs(['--freeswitch', 'fs1.example:8021']).freeswitch, { host: 'fs1.example', port: 8021 });
  assert.deepStrictEqual(parseSuiteArgs(['--freeswitch', '[::1]:8021']).freeswitch, { host: '::1', port: 8021 });
  for (const bad of ['fs1', ':8021', 'fs1:0', 'fs1:70000', 'fs1:x']) assert.throws(() => parseSuiteArgs(['--freeswitch', bad]), /--freeswitch must be host:port/, bad);
  assert.throws(() => parseSuiteArgs(['--jsn', 'x']), /unknown option --jsn/);
  assert.throws(() => parseSuiteArgs(['--json']), /--json needs a value/);
});

void test('memory trend: medians and floors per fifth of the window', () => {
  const saw = Array.from({ length: 50 }, (_, i) => 100 + (i % 10) * 3 + Math.floor(i / 10)); // saw-tooth rising 1 MB per fifth
  assert.deepStrictEqual(floorByFifth(saw), [100, 101, 102, 103, 104]);
  assert.deepStrictEqual(medianByFifth(saw), [115, 116, 117, 118, 119]);
  assert.deepStrictEqual(floorByFifth([1, 2, 3]), [], 'too few samples for fifths');
});

void test('closed loop: a peer that fails at once is counted, and the window still closes', { timeout: 30_000 }, async () => {
  // A closed connection rejects each request in a microtask; the loop must still let its timers run.
  const rejecting = await runClosedLoop((_w, done) => void Promise.reject(new Error('closed')).catch((e: Error) => done(e)), { workers: 4, warmupMs: 5, durationMs: 30 });
  assert.equal(rejecting.ok, 0);
  assert.ok(rejecting.errors > 0);
  assert.equal(rejecting.firstError, 'closed');
  const throwing = await runClosedLoop(() => {
    throw new Error('no such client');
  }, { workers: 2, warmupMs: 5, durationMs: 30 });
  assert.equal(throwing.ok, 0);
  assert.equal(throwing.firstError, 'no such client');
});

void test('a driver that failed during the run fails it, named in --only or not; one missing here only when named', () => {
  const missing = [{ driver: 'zmq', reason: 'broker not installed' }];
  const failed = [{ driver: 'kafka', reason: 'failed during the run: broker went away' }];
  assert.deepStrictEqual(unmeasuredFailures('bus-events', undefined, ['nats'], missing, failed), ['bus-events: kafka was not measured: failed during the run: broker went away']);
  assert.deepStrictEqual(unmeasuredFailures('bus-events', undefined, ['nats', 'kafka'], missing, []), []);
  assert.deepStrictEqual(unmeasuredFailures('bus-command', ['kafka', 'zmq', 'nope'], [], missing, failed), [
    'bus-command: kafka (named in --only) was not measured: failed during the run: broker went away',
    'bus-command: zmq (named in --only) was not measured: broker not installed',
    'bus-command: nope (named in --only) was not measured: not a driver (known: nats, amqp, redis, mqtt, kafka, zmq)',
  ]);
});
