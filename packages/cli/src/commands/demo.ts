/**
 * `fsbus demo`: everything on loopback, on free ports — nats-server (JetStream), a FreeSWITCH
 * simulator with a call generator, an agent in-process — then a live event summary until
 * Ctrl-C/SIGTERM (or --duration), after which everything it started is stopped.
 */
import { parseArgs } from 'node:util';
import { Agent, loadConfig } from '@fsbus/agent';
import { connect, type EventStream, type FsbusClient } from '@fsbus/client';
import { MAX_TIMER_MS } from '@fsbus/esl';
import { Simulator } from '@fsbus/sim';
import type { CliCommand, CliIo } from '../command.js';
import { launchNatsServer, type RunningNats } from '../brokers/nats-server.js';
import { DemoSummary } from '../bus/demo-summary.js';
import { startDemoDashboard } from '../bus/demo-web.js';
import { removeDemoState, writeDemoState } from '../bus/demo-state.js';
import { colors, formatEventLine } from '../bus/format.js';
import { argumentProblem, withNegativeValues } from '../bus/usage.js';

const NODE_ID = 'demo-node';

const HELP = `usage: fsbus demo [--rate <calls/s>] [--duration <s>] [--verbose] [--no-dashboard]

Starts on loopback, on free ports: nats-server, a simulated FreeSWITCH node generating calls
(arriving, answered, parked or bridged, hung up), the fsbus agent with park mode available and
the dashboard (@fsbus/web, when present); prints where each one is and commands to try from
another terminal, then a live event summary. Ctrl-C stops everything.

Other fsbus commands find the demo by itself (a state file per demo, named after its pid:
<base>-<pid>.json, base $FSBUS_DEMO_STATE, else $XDG_RUNTIME_DIR/fsbus-demo.json, else
<tmpdir>/fsbus-demo-<uid>.json); with several demos running, the newest.

options:
  --rate <n>        calls per second (default 2; 0 = no generated calls)
  --duration <s>    stop by itself after this many seconds, at most 2147483 (default: until Ctrl-C)
  --verbose         print every event, not only the summary
  --no-dashboard    do not start the web dashboard
  -h, --help        this help`;

interface DemoOptions {
  rate: number;
  durationS: number | undefined;
  verbose: boolean;
  dashboard: boolean;
}

const DEMO_OPTIONS = {
  rate: { type: 'string' },
  duration: { type: 'string' },
  verbose: { type: 'boolean' },
  'no-dashboard': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The longest --duration: a timer cannot wait longer than 2^31-1 ms (a longer one fires at once). */
export const MAX_DURATION_S = Math.floor(MAX_TIMER_MS / 1000);

function parse(argv: readonly string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: withNegativeValues(argv, DEMO_OPTIONS),
    options: DEMO_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return 'help';
  const rate = values.rate === undefined ? 2 : Number(values.rate);
  if (!Number.isFinite(rate) || rate < 0 || rate > 200) throw new Error('--rate must be a number of calls per second (0-200)');
  let durationS: number | undefined;
  if (values.duration !== undefined) {
    durationS = Number(values.duration);
    if (!Number.isFinite(durationS) || durationS <= 0 || durationS > MAX_DURATION_S) {
      throw new Error(`--duration must be a positive number of seconds, at most ${MAX_DURATION_S} (about 24 days)`);
    }
  }
  return { rate, durationS, verbose: values.verbose === true, dashboard: values['no-dashboard'] !== true };
}

/**
 * Resolves on the first SIGINT/SIGTERM, or after `durationS`. Later signals are absorbed while
 * everything stops (a terminal's Ctrl-C also reaches bin/fsbus.js, which forwards it: two
 * arrive); a third one forces the exit.
 */
function stopRequested(durationS: number | undefined): { reason: Promise<string>; release(): void } {
  let signals = 0;
  let resolveReason!: (why: string) => void;
  const reason = new Promise<string>((r) => (resolveReason = r));
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) resolveReason(signal);
    if (signals >= 3) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal: its nats-server has a process group of its own and would outlive a demo
  // that SIGHUP simply ended.
  process.on('SIGHUP', onSignal);
  // `fsbus demo | head`: a closed output pipe stops the demo cleanly instead of crashing it.
  const onOutputError = (): void => resolveReason('output closed');
  process.stdout.on('error', onOutputError);
  const timer = durationS === undefined ? undefined : setTimeout(() => resolveReason(`${durationS} s elapsed`), durationS * 1000);
  return {
    reason,
    release: () => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      process.stdout.off('error', onOutputError);
    },
  };
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let opts: DemoOptions | 'help';
  try {
    opts = parse(argv);
  } catch (err) {
    io.err(`fsbus demo: ${argumentProblem(err, DEMO_OPTIONS)}; see fsbus demo --help`);
    return 2;
  }
  if (opts === 'help') {
    io.out(HELP);
    return 0;
  }
  const c = colors();
  const stop = stopRequested(opts.durationS);
  // Everything started is pushed here and stopped in reverse order, whatever happens.
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch((err: unknown) => io.err(`fsbus demo: while stopping: ${(err as Error).message}`));
    stop.release();
  };
  try {
    io.out(c.bold('fsbus demo: starting nats-server, a FreeSWITCH simulator and the agent on loopback…'));
    const nats: RunningNats = await launchNatsServer();
    cleanups.push(() => nats.stop());
    // The control API on a free loopback port: the way to key DTMF into a call (docs/sim.md).
    const sim = new Simulator({ port: 0, nodeName: NODE_ID, controlPort: 0 });
    const esl = await sim.start();
    const control = `http://127.0.0.1:${esl.controlPort ?? 0}`;
    cleanups.push(() => sim.stop());
    const agent = new Agent(
      loadConfig({
        values: {
          node_id: NODE_ID,
          log_level: 'silent',
          broker: { urls: [nats.url] },
          esl: { host: esl.host, port: esl.port },
          metrics: { port: 0, host: '127.0.0.1' },
          // Park mode (fsbus dialplan …): the agent's mod_xml_curl endpoint, bound in the simulator below.
          dialplan: { port: 0, host: '127.0.0.1' },
          events: { stream: { enabled: true, max_age_ms: 3_600_000 } },
        },
        env: {},
      }),
    );
    cleanups.push(() => agent.stop());
    await agent.start();
    await agent.whenReady(20_000);
    // As xml_curl.conf.xml's dialplan binding would: with park mode off the endpoint answers "not
    // found" and the simulator's own dialplan routes the calls, as FreeSWITCH falls back.
    sim.core.bindXmlCurl(agent.park.url);
    const bus: FsbusClient = await connect({ servers: nats.url, name: 'fsbus-demo' });
    cleanups.push(() => bus.close());
    const events: EventStream = bus.events('>', { bufferSize: 10_000 });
    cleanups.push(() => events.close());
    await events.ready;
    const web = opts.dashboard ? await startDemoDashboard([nats.url], bus.prefix) : { error: 'off (--no-dashboard)' };
    if ('close' in web) cleanups.push(() => web.close());
    const metrics = `http://127.0.0.1:${agent.httpPort ?? 0}/metrics`;
    const statePath = writeDemoState({ driver: 'nats', servers: [nats.url], prefix: bus.prefix, pid: process.pid, started: new Date().toISOString(), esl: `${esl.host}:${esl.port}`, metrics, control });
    cleanups.push(() => removeDemoState(process.pid));

    const gens: Array<{ stop(): void }> = [];
    cleanups.push(() => gens.forEach((g) => g.stop()));
    if (opts.rate > 0) {
      // Most calls are answered and parked; some are bridged to user/1000; 20 % are abandoned.
      gens.push(sim.core.control.generateCalls({ ratePerSecond: opts.rate * 0.7, destination: '7001', holdMs: 6000 }));
      gens.push(sim.core.control.generateCalls({ ratePerSecond: opts.rate * 0.3, destination: '7008', holdMs: 4000 }));
    }

    io.out(
      [
        '',
        `  nats-server   ${nats.url}  (JetStream on, pid ${nats.pid})`,
        `  FreeSWITCH    simulated node "${NODE_ID}", Event Socket ${esl.host}:${esl.port} (password ClueCon)`,
        `  sim control   ${control}  (POST /digits, /endpoint-behavior, …: docs/sim.md)`,
        `  agent         node ${NODE_ID}, prefix ${bus.prefix}, metrics ${metrics}`,
        `  park mode     off; the simulator asks the agent's dialplan endpoint ${agent.park.url ?? '(none)'} first`,
        `  calls         ${opts.rate > 0 ? `${opts.rate}/s generated (parked, bridged, abandoned)` : 'none generated (--rate 0)'}`,
        `  dashboard     ${'url' in web ? web.url : `not started: ${web.error}`}`,
        `  state file    ${statePath}`,
        '',
        '  try in another terminal (they find the demo by themselves):',
        '    npx fsbus status --all',
        `    npx fsbus events 'channel.>'`,
        `    npx fsbus originate user/1000 '&park()'       # prints the call's uuid`,
        `    curl -d '{"uuid":"<uuid>","digits":"1234#"}' ${control}/digits  # DTMF on that call (examples/ivr.ts)`,
        '    npx fsbus hangup <uuid>',
        `    npx fsbus originate error/user_busy '&park()'  # a call that fails (docs/sim.md: endpoints)`,
        `    npx fsbus api 'show channels'`,
        '    npx fsbus dialplan enable                     # new calls are parked by the agent',
        '',
        c.dim('Ctrl-C stops everything.'),
        '',
      ].join('\n'),
    );

    const summary = new DemoSummary();
    const pump = (async () => {
      for await (const e of events) {
        summary.add(e);
        if (opts.verbose) io.out(formatEventLine(e, c));
      }
    })();
    cleanups.push(async () => {
      await events.close();
      await pump;
    });
    const ticker = setInterval(() => io.out(summary.line(c)), 2000);
    cleanups.push(() => clearInterval(ticker));

    const why = await stop.reason;
    io.out(summary.line(c));
    io.out(`fsbus demo: stopping (${why})…`);
    await stopAll();
    io.out('fsbus demo: stopped; nothing left running');
    return 0;
  } catch (err) {
    io.err(`fsbus demo: ${(err as Error).message}`);
    await stopAll();
    return 1;
  }
}

export const demoCommand: CliCommand = { help: HELP, run };
