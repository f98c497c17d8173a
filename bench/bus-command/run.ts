/**
 * bus-command benchmark: `{"command":"status"}` through broker → agent → ESL → simulator and
 * back, for 1, 16 and 64 concurrent clients, per driver that runs today; the same `api status`
 * sent directly over ESL (@fsbus/esl, as many connections as the agent's pool) is the baseline
 * that makes the bus overhead a number, and a raw pipelined socket measures the simulator's own
 * ceiling. Simulator and agent run in their own processes.
 *
 *   node --conditions=source --import tsx bench/bus-command/run.ts [--json out.json] [--smoke] [--only nats]
 */
import type { Driver } from '@fsbus/transport';
import { failUnmeasured, planDrivers, type DriverPlan } from '../lib/brokers.js';
import { bounded } from '../lib/bounded.js';
import { connectClient, waitAgentReady } from '../lib/bus.js';
import { spawnScript, startAgent, type AgentChild } from '../lib/children.js';
import { openEslTarget } from '../lib/esl-target.js';
import { suiteArgsOrExit, writeReport } from '../lib/cli-args.js';
import { envelope, switchName } from '../lib/envelope.js';
import { runClosedLoop, type LoadResult } from '../lib/load.js';
import { busiestNewChild, childProcesses, CpuMeter, rssMb } from '../lib/proc-stats.js';
import { Progress } from '../lib/progress.js';
import { fsbusPeer, rawPeer } from '../esl-api/peers.js';
import { formatBusCommand, MOD_EVENT_AGENT, type BusCommandReport, type BusCommandRow } from './report.js';

const args = suiteArgsOrExit('bus-command', process.argv.slice(2));
const CLIENTS = [1, 16, 64];
const POOL_SIZE = 3;
/** Client-side bus connections the concurrent clients share. */
const clientConnections = (clients: number): number => Math.min(clients, 4);
const window = args.smoke ? { warmupMs: 100, durationMs: 300 } : { warmupMs: 1000, durationMs: 5000 };
const progress = new Progress('bus-command');
const REQUEST = new TextEncoder().encode('{"command":"status"}');
// The envelope's key order is fixed (success first): a cheap, exact success check.
const OK_PREFIX = Buffer.from('{"success":true');

const rows: BusCommandRow[] = [];
const measured: string[] = [];
const failed: Array<{ driver: string; reason: string }> = [];
const plan = await planDrivers(args.only);
const target = await openEslTarget(args, progress);
/** The switch's process for the CPU columns: the simulator's; nothing for an external FreeSWITCH. */
const switchPid: Record<string, number> = target.pid === undefined ? {} : { sim: target.pid };

/** Runs one case; CPU is measured over the whole case (warm-up included) for `pids`. */
async function measure(label: string, opened: { call: Parameters<typeof runClosedLoop>[0] }, workers: number, pids: Record<string, number>): Promise<LoadResult & Pick<BusCommandRow, 'cpu' | 'machine'>> {
  let live = 0;
  progress.step(label, () => `${live} ok`);
  const meter = new CpuMeter(pids);
  const r = await runClosedLoop(opened.call, { workers, ...window, onCount: (n) => (live = n) });
  const machine = meter.finish();
  if (r.ok === 0) throw new Error(`${label}: nothing answered (${r.firstError ?? 'no error'})`);
  const agent = pids['agent'];
  return { ...r, machine, ...(agent === undefined ? {} : { cpu: { cpuPercent: machine.processes['agent'] ?? Number.NaN, rssMb: rssMb(agent) } }) };
}

/** Broker, agent, clients for one driver; its rows, or a throw if the driver fails anywhere. */
async function runDriver(driver: string, starter: DriverPlan['available'][number]['starter']): Promise<BusCommandRow[]> {
  const out: BusCommandRow[] = [];
  progress.step(`${driver}: starting the broker`);
  const before = new Set(childProcesses().map((c) => c.pid));
  const broker = await bounded(`${driver} broker start`, 180_000, starter.start());
  const brokerPid = busiestNewChild(before);
  /** `{"command":"status"}` on freeswitch.api, `n` clients spread over the client connections. */
  const callOver = (n: number) => {
    const conns = clientConnections(n);
    return (w: number, done: (err?: Error) => void): void => {
      clients[w % conns]!.request('freeswitch.api', REQUEST, { timeoutMs: 10_000 }).then(
        (m) => done(Buffer.from(m.data.buffer, m.data.byteOffset, OK_PREFIX.length).equals(OK_PREFIX) ? undefined : new Error(Buffer.from(m.data).toString('utf8').slice(0, 200))),
        (err: Error) => done(err),
      );
    };
  };
  const clients: Driver[] = [];
  let agent: AgentChild | undefined;
  try {
    for (let i = 0; i < clientConnections(Math.max(...CLIENTS)); i++) clients.push(await bounded(`${driver} client connect`, 30_000, connectClient(driver, broker.url, `bench-client-${i}`)));
    // The broker's own floor first: the same request answered by a bare responder process.
    if (driver !== 'zmq') {
      const echo = await spawnScript('bench/bus-command/echo-responder.ts', [driver, broker.url], /echo responder ready/);
      try {
        for (const n of [1, 64]) {
          const r = await measure(`${driver}, broker floor (echo responder), ${n} clients`, { call: callOver(n) }, n, { echo: echo.pid, ...(brokerPid === undefined ? {} : { broker: brokerPid }) });
          out.push({ path: 'broker-echo', driver, clients: n, connections: clientConnections(n), ...r });
        }
      } finally {
        await echo.stop();
      }
    }
    agent = await startAgent({ driver, brokerUrl: broker.url, esl: target, poolSize: POOL_SIZE, nodeFlags: [...args.childFlags, ...args.agentFlags], ...(args.agentConfig === undefined ? {} : { config: args.agentConfig }) });
    progress.step(`${driver}: waiting for the agent`);
    await bounded(`${driver} agent ready`, 90_000, waitAgentReady(clients[0]!, agent));
    for (const n of CLIENTS) {
      const r = await measure(`${driver}, ${n} clients`, { call: callOver(n) }, n, { agent: agent.pid, ...switchPid, ...(brokerPid === undefined ? {} : { broker: brokerPid }) });
      out.push({ path: 'bus', driver, clients: n, connections: clientConnections(n), ...r });
    }
    return out;
  } finally {
    await bounded(`${driver} client close`, 15_000, Promise.all(clients.map((c) => c.close()))).catch(() => undefined);
    await agent?.stop();
    await bounded(`${driver} broker stop`, 60_000, broker.stop()).catch(() => undefined);
  }
}

try {
  // Warm the simulator's JIT first, or whichever case runs first pays for it.
  progress.step('warming up the switch');
  const warm = await rawPeer.open(target, 4);
  await runClosedLoop(warm.call, { workers: 64, warmupMs: 0, durationMs: args.smoke ? 200 : 3000 });
  await warm.close();
  // Baselines: the same command straight over ESL, and the switch's own ceiling.
  const direct = await fsbusPeer.open(target, POOL_SIZE);
  try {
    for (const clients of CLIENTS) {
      const r = await measure(`direct ESL, ${clients} clients`, direct, clients, switchPid);
      rows.push({ path: 'direct-esl', driver: '-', clients, connections: POOL_SIZE, ...r });
    }
  } finally {
    await direct.close();
  }
  const ceiling = await rawPeer.open(target, 4);
  try {
    const r = await measure(`${switchName(target)} ceiling (raw, 4 conns x 16)`, ceiling, 64, switchPid);
    rows.push({ path: 'sim-ceiling', driver: '-', clients: 64, connections: 4, ...r });
  } finally {
    await ceiling.close();
  }

  for (const { driver, starter } of plan.available) {
    try {
      rows.push(...(await runDriver(driver, starter)));
      measured.push(driver);
    } catch (err) {
      // One failing driver must not sink the others: it is listed with the reason, the rest run, and the run fails at the end.
      failed.push({ driver, reason: `failed during the run: ${(err as Error).message.split('\n')[0] ?? ''}` });
    }
  }
} finally {
  progress.step(`done with the ${switchName(target)}`);
  await target.stop();
  progress.done();
}

const report: BusCommandReport = {
  ...envelope('bus-command', args, window),
  command: '{"command":"status"} on freeswitch.api (api status)',
  eslTarget: { description: target.description, external: target.external },
  agent: { process: 'fsbus agent (child process)', eslPoolSize: POOL_SIZE, logLevel: 'info (one audit line per command, to a file)', overrides: args.agentConfig ?? {} },
  anchors: MOD_EVENT_AGENT,
  drivers: { measured, missing: plan.missing, failed },
  results: rows,
};
console.log(formatBusCommand(report));
writeReport(args.json, report);
failUnmeasured('bus-command', args.only, measured, plan.missing, failed);
