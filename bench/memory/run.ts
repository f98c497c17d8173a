/**
 * memory benchmark: the agent's RSS idle, then under load (commands from 16 clients and a
 * steady event stream, both over NATS) sampled every second; the growth over the load window
 * says whether memory is bounded. `--full` runs the 5-minute soak, `--minutes N` one of N minutes;
 * the default window is 30 s.
 *
 *   node --conditions=source --import tsx bench/memory/run.ts [--json out.json] [--smoke] [--full | --minutes N]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { planDrivers } from '../lib/brokers.js';
import { agentStatus, connectClient, waitAgentReady } from '../lib/bus.js';
import { simControl, startAgent, startSim, type AgentChild } from '../lib/children.js';
import { suiteArgsOrExit, refuseFreeswitch, writeReport } from '../lib/cli-args.js';
import { envelope } from '../lib/envelope.js';
import { runClosedLoop } from '../lib/load.js';
import { cpuSeconds, rssMb } from '../lib/proc-stats.js';
import { Progress } from '../lib/progress.js';
import { EVENT_HEADERS, SUBCLASS } from '../bus-events/steps.js';
import { formatMemory, type MemoryReport } from './report.js';

const args = suiteArgsOrExit('memory', process.argv.slice(2));
refuseFreeswitch(args, 'memory', "it drives the simulator's event injector");
const SETTLE_MS = args.smoke ? 300 : 3000;
const LOAD_SECONDS = args.smoke ? 1 : args.minutes !== undefined ? Math.round(args.minutes * 60) : args.full ? 300 : 30;
const EVENTS_PER_SEC = args.smoke ? 1000 : 10_000;
const CLIENTS = 16;
const progress = new Progress('memory');
const enc = new TextEncoder();

function slopePerMin(samples: readonly number[]): number {
  const ys = samples.slice(Math.floor(samples.length / 2));
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return (num / den) * 60;
}

/** Where the agent serves /metrics, from its start line (the log reaches the file within 200 ms). */
async function agentMetricsUrl(agent: AgentChild): Promise<string> {
  for (let waited = 0; waited < 5000; waited += 50) {
    const line = agent.log().split('\n').find((l) => l.includes('"msg":"agent started"') && l.endsWith('}'));
    const metrics = line === undefined ? undefined : (JSON.parse(line) as { metrics?: { host: string; port: number } }).metrics;
    if (metrics !== undefined) return `http://${metrics.host}:${metrics.port}/metrics`;
    await sleep(50);
  }
  throw new Error('the agent did not log its metrics address within 5 s');
}

async function heapUsedMb(url: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(url)).text();
    const m = /^nodejs_heap_size_used_bytes\{[^}]*\} (\d+)/m.exec(text);
    return m === null ? undefined : Number(m[1]) / 2 ** 20;
  } catch {
    return undefined; // a missed sample, not a failed run
  }
}

const plan = await planDrivers(['nats']);
const nats = plan.available[0];
if (nats === undefined) throw new Error(`memory needs the nats driver: ${plan.missing[0]?.reason ?? '?'}`);
progress.step('starting the simulator and the broker');
const sim = await startSim(args.childFlags);
const broker = await nats.starter.start();
// Metrics on a free loopback port: the V8 heap is sampled from /metrics next to RSS.
const config = { metrics: { enabled: true, host: '127.0.0.1', port: 0 }, ...args.agentConfig };
const agent = await startAgent({ driver: 'nats', brokerUrl: broker.url, esl: sim, nodeFlags: [...args.childFlags, ...args.agentFlags], config });
let report: MemoryReport;
try {
  const client = await connectClient('nats', broker.url, 'bench-memory');
  try {
    progress.step('waiting for the agent');
    await waitAgentReady(client, agent);
    const metricsUrl = await agentMetricsUrl(agent);
    progress.step('idle');
    await sleep(SETTLE_MS);
    const idle = rssMb(agent.pid);

    const samples: number[] = [];
    const heapSamples: number[] = [];
    progress.step(`under load for ${LOAD_SECONDS} s`, () => `RSS ${samples.at(-1)?.toFixed(0) ?? '?'} MB`);
    const before = await agentStatus(client, agent);
    const cpu0 = cpuSeconds(agent.pid);
    const heapReads: Array<Promise<void>> = [];
    const sampler = setInterval(() => {
      samples.push(rssMb(agent.pid));
      heapReads.push(heapUsedMb(metricsUrl).then((mb) => void (mb !== undefined && heapSamples.push(mb))));
    }, 1000);
    const { id } = await simControl<{ id: string }>(sim, '/events/inject', { name: 'CUSTOM', subclass: SUBCLASS, headers: EVENT_HEADERS, count: EVENTS_PER_SEC * LOAD_SECONDS * 2, ratePerSecond: EVENTS_PER_SEC });
    const request = enc.encode('{"command":"status"}');
    const ok = Buffer.from('{"success":true');
    const cmd = await runClosedLoop(
      (_w, done) => {
        client.request('freeswitch.api', request, { timeoutMs: 10_000 }).then(
          (m) => done(Buffer.from(m.data.buffer, m.data.byteOffset, ok.length).equals(ok) ? undefined : new Error('command failed')),
          (err: Error) => done(err),
        );
      },
      { workers: CLIENTS, warmupMs: 0, durationMs: LOAD_SECONDS * 1000 },
    );
    clearInterval(sampler);
    await Promise.all(heapReads);
    await simControl(sim, '/stop', { id });
    const cpuPercent = ((cpuSeconds(agent.pid) - cpu0) / LOAD_SECONDS) * 100;
    const after = await agentStatus(client, agent);
    progress.step('after load');
    await sleep(SETTLE_MS);
    const lat = cmd.latency;
    report = {
      ...envelope('memory', args, { warmupMs: SETTLE_MS, durationMs: LOAD_SECONDS * 1000 }),
      driver: 'nats',
      load: { commandClients: CLIENTS, eventsPerSec: EVENTS_PER_SEC },
      idle: { rssMb: idle, settleMs: SETTLE_MS },
      underLoad: {
        seconds: LOAD_SECONDS,
        samples,
        startMb: samples[0] ?? Number.NaN,
        peakMb: Math.max(...samples),
        endMb: samples.at(-1) ?? Number.NaN,
        slopeMbPerMin: slopePerMin(samples),
        heapUsedSamples: heapSamples,
        cpuPercent,
        commands: { ok: cmd.ok, errors: cmd.errors, perSec: cmd.perSec, p50: lat.p50, p99: lat.p99 },
        eventsPublished: (after.counters['events_published'] ?? 0) - (before.counters['events_published'] ?? 0),
        eventsDropped: (after.counters['events_dropped'] ?? 0) - (before.counters['events_dropped'] ?? 0),
      },
      afterLoad: { rssMb: rssMb(agent.pid) },
    };
  } finally {
    await client.close();
  }
} finally {
  progress.step('stopping');
  await agent.stop();
  await broker.stop();
  await sim.stop();
  progress.done();
}

console.log(formatMemory(report));
writeReport(args.json, report);
