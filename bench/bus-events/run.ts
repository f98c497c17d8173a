/**
 * bus-events benchmark: events/s from the simulator's event injector through the agent to a
 * bus subscriber, per driver, stepping the rate until the pipeline saturates: end-to-end
 * latency, loss, the agent's CPU% and RSS (the agent runs in its own process). The same steps
 * received directly over ESL show what the simulator itself can deliver.
 *
 *   node --conditions=source --import tsx bench/bus-events/run.ts [--json out.json] [--smoke] [--only nats]
 */
import { EslClient } from '@fsbus/esl';
import type { Driver, Subscription } from '@fsbus/transport';
import { failUnmeasured, planDrivers, type DriverPlan } from '../lib/brokers.js';
import { bounded } from '../lib/bounded.js';
import { agentStatus, connectClient, waitAgentReady } from '../lib/bus.js';
import { startAgent, startSim } from '../lib/children.js';
import { suiteArgsOrExit, refuseFreeswitch, writeReport } from '../lib/cli-args.js';
import { envelope } from '../lib/envelope.js';
import { busiestNewChild, childProcesses, CpuMeter, ProcSampler } from '../lib/proc-stats.js';
import { Progress } from '../lib/progress.js';
import { int } from '../lib/table.js';
import { clean, formatBusEvents, saturationOf, type BusEventsReport, type BusEventsRow } from './report.js';
import { payloadTimestamp, Receiver, runStep, SUBCLASS } from './steps.js';

const args = suiteArgsOrExit('bus-events', process.argv.slice(2));
refuseFreeswitch(args, 'bus-events', "it drives the simulator's event injector");
const RATES = args.smoke ? [2000] : [5000, 10_000, 20_000, 30_000, 40_000, 50_000, 75_000, 100_000, 150_000];
const STEP_SECONDS = args.smoke ? 0.5 : 3;
const progress = new Progress('bus-events');
const rows: BusEventsRow[] = [];
const measured: string[] = [];
const failed: Array<{ driver: string; reason: string }> = [];
const plan = await planDrivers(args.only);

/**
 * Steps up the rates until the path saturates. `pids` (simulator, agent, broker) get a CPU column
 * each, this process (the receiver) one too, and the machine as a whole: where the two vCPUs go.
 */
async function stepAll(path: BusEventsRow['path'], driver: string, sim: Parameters<typeof runStep>[0], receiver: Receiver, pids: Record<string, number>, agent?: { pid: number; status: () => Promise<Record<string, number>> }): Promise<void> {
  // Warm-up, not recorded: the subscription is live end to end (a Kafka consumer must join its
  // group first) and the JIT has seen the path.
  progress.step(`${driver === '-' ? path : driver}: warm-up`);
  await runStep(sim, receiver, 1000, args.smoke ? 0.1 : 0.5, () => undefined);
  let lastClean: BusEventsRow | undefined;
  for (const rate of RATES) {
    progress.step(`${driver === '-' ? path : driver}: ${int(rate)} events/s`, () => `${int(receiver.received)} received`);
    const sampler = agent === undefined ? undefined : new ProcSampler(agent.pid);
    const before = agent === undefined ? undefined : await agent.status();
    const meter = new CpuMeter(pids);
    const r = await runStep(sim, receiver, rate, STEP_SECONDS, () => undefined);
    const machine = meter.finish();
    const cpu = sampler?.finish();
    const after = agent === undefined ? undefined : await agent.status();
    const delta = (counter: string): number => (after?.[counter] ?? 0) - (before?.[counter] ?? 0);
    const counted = { drops: delta('events_dropped') + delta('events_failed'), failed: delta('events_failed'), received: delta('events_received'), published: delta('events_published') };
    const row: BusEventsRow = { path, driver, ...r, machine, ...(cpu === undefined ? {} : { agent: { ...cpu, ...counted } }) };
    rows.push(row);
    // Past saturation the next steps only queue more: stop at the first step that fell behind, lost, or queued.
    if (clean(row, lastClean) !== undefined && !args.smoke) break;
    lastClean = row;
  }
}

progress.step('starting the simulator');
const sim = await startSim(args.childFlags);
/** Broker, agent and subscriber for one driver, then the rate steps; throws if the driver fails. */
async function runDriver(driver: string, starter: DriverPlan['available'][number]['starter']): Promise<void> {
  progress.step(`${driver}: starting the broker`);
  const before = new Set(childProcesses().map((c) => c.pid));
  const broker = await bounded(`${driver} broker start`, 180_000, starter.start());
  const brokerPid = busiestNewChild(before);
  const agent = await startAgent({ driver, brokerUrl: broker.url, esl: sim, nodeFlags: [...args.childFlags, ...args.agentFlags], ...(args.agentConfig === undefined ? {} : { config: args.agentConfig }) });
  let client: Driver | undefined;
  let sub: Subscription | undefined;
  try {
    client = await bounded(`${driver} client connect`, 30_000, connectClient(driver, broker.url, 'bench-subscriber'));
    progress.step(`${driver}: waiting for the agent`);
    await bounded(`${driver} agent ready`, 90_000, waitAgentReady(client, agent));
    const r = new Receiver();
    sub = client.subscribe('freeswitch.events.custom.fsbus.bench', (m) => r.onEvent(payloadTimestamp(m.data), m.data.byteLength));
    await bounded(`${driver} flush`, 10_000, client.flush());
    const c = client;
    const pids = { sim: sim.pid, agent: agent.pid, ...(brokerPid === undefined ? {} : { broker: brokerPid }) };
    await stepAll('bus', driver, sim, r, pids, { pid: agent.pid, status: async () => (await agentStatus(c, agent)).counters });
  } finally {
    await bounded(`${driver} unsubscribe`, 10_000, sub?.unsubscribe() ?? Promise.resolve()).catch(() => undefined);
    await bounded(`${driver} client close`, 15_000, client?.close() ?? Promise.resolve()).catch(() => undefined);
    await agent.stop();
    await bounded(`${driver} broker stop`, 60_000, broker.stop()).catch(() => undefined);
  }
}

try {
  // What the simulator delivers straight over ESL: the ceiling any bus path is under.
  const receiver = new Receiver();
  const esl = new EslClient({ host: sim.host, port: sim.port, reconnect: false, eventQueueLimit: 1_000_000 });
  await esl.connect();
  esl.on('event', (e) => receiver.onEvent(Number(e.getHeader('Event-Date-Timestamp')), 0));
  await esl.events('json', ['CUSTOM', SUBCLASS]);
  try {
    await stepAll('direct-esl', '-', sim, receiver, { sim: sim.pid });
  } finally {
    await esl.close();
  }

  for (const { driver, starter } of plan.available) {
    const mark = rows.length;
    try {
      await runDriver(driver, starter);
      measured.push(driver);
    } catch (err) {
      // One failing driver must not sink the others: it is listed with the reason, the rest run, and the run fails at the end.
      rows.splice(mark);
      failed.push({ driver, reason: `failed during the run: ${(err as Error).message.split('\n')[0] ?? ''}` });
    }
  }
} finally {
  progress.step('stopping the simulator');
  await sim.stop();
  progress.done();
}

const report: BusEventsReport = {
  ...envelope('bus-events', args, { warmupMs: 0, durationMs: STEP_SECONDS * 1000 }),
  event: `CUSTOM ${SUBCLASS} with ~40 headers, injected by the simulator (POST /events/inject)`,
  agent: { process: 'fsbus agent (child process)', events: 'include ALL (default)' },
  target: { perSec: 100_000, maxRssMb: 80 },
  rates: RATES,
  drivers: { measured, missing: plan.missing, failed },
  results: rows,
  saturation: saturationOf(rows),
};
console.log(formatBusEvents(report));
writeReport(args.json, report);
failUnmeasured('bus-events', args.only, measured, plan.missing, failed);
