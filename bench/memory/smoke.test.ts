/** Keeps the memory benchmark from rotting: --smoke (1 s of load), then the report's shape. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { positive, runSmoke } from '../lib/smoke.js';
import type { MemoryReport } from './report.js';

void test('bench/memory --smoke samples the agent idle and under load', async () => {
  const { report, stdout } = await runSmoke<MemoryReport>('memory');
  assert.equal(report.benchmark, 'memory');
  assert.equal(report.mode, 'smoke');
  assert.equal(report.driver, 'nats');
  assert.ok(positive(report.idle.rssMb) && positive(report.afterLoad.rssMb));
  const u = report.underLoad;
  assert.ok(u.samples.length >= 1 && u.samples.every(positive));
  assert.ok(u.startMb <= u.peakMb && u.endMb <= u.peakMb);
  assert.ok(Number.isFinite(u.slopeMbPerMin) && Number.isFinite(u.cpuPercent));
  assert.ok(positive(u.commands.ok));
  assert.equal(u.commands.errors, 0);
  assert.ok(positive(u.eventsPublished));
  const heap = u.heapUsedSamples ?? [];
  assert.ok(heap.length >= 1 && heap.every(positive), 'heap samples come from the agent\'s /metrics');
  assert.match(stdout, /\| idle +\| +[\d.]+ \|/);
});
