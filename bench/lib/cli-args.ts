/** The options every suite takes: `[--json out.json] [--smoke] [--full]`, plus suite-specific ones. */
import { writeFileSync } from 'node:fs';

export interface SuiteArgs {
  json: string | undefined;
  /** Tiny run for CI: proves the suite still works, its numbers mean nothing. */
  smoke: boolean;
  /** Long run (the memory soak). */
  full: boolean;
  /** `--minutes N`: the memory soak's length (implies `--full`; 5 without it). */
  minutes: number | undefined;
  /** Extra node flags for the children (e.g. `--cpu-prof`), from `--child-flags "…"`. */
  childFlags: string[];
  /** Extra node flags for the agent's process alone (e.g. `--max-semi-space-size=4`), from `--agent-flags "…"`. */
  agentFlags: string[];
  /** `--only nats,redis`: restrict the drivers of the bus suites. */
  only: string[] | undefined;
  /** `--agent-config '{"log_level":"warn","events":{"exclude":["API"]}}'`: merged into the agent's config (experiments). */
  agentConfig: Record<string, unknown> | undefined;
  /** `--freeswitch host:port`: measure against that FreeSWITCH instead of the simulator (esl-api, bus-command). */
  freeswitch: { host: string; port: number } | undefined;
}

/** Options whose value is itself a list of node flags (so it may start with `--`). */
const FLAG_LISTS = new Set(['--child-flags', '--agent-flags']);

export function parseSuiteArgs(argv: readonly string[]): SuiteArgs {
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    if (at < 0) return undefined;
    const v = argv[at + 1];
    if (v === undefined || (!FLAG_LISTS.has(flag) && v.startsWith('--'))) throw new Error(`${flag} needs a value`);
    return v;
  };
  const withValue = new Set(['--json', ...FLAG_LISTS, '--only', '--agent-config', '--freeswitch', '--minutes']);
  const known = new Set([...withValue, '--smoke', '--full']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!known.has(a)) throw new Error(`unknown option ${a} (known: ${[...known].join(', ')})`);
    if (withValue.has(a)) i++;
  }
  const flagList = (flag: string): string[] => (value(flag) ?? '').split(/\s+/).filter((f) => f !== '');
  const only = value('--only');
  const agentConfig = value('--agent-config');
  const freeswitch = value('--freeswitch');
  const minutes = value('--minutes');
  if (minutes !== undefined && !(Number(minutes) > 0 && Number(minutes) <= 24 * 60)) throw new Error(`--minutes must be a number of minutes (at most a day), got ${JSON.stringify(minutes)}`);
  return {
    json: value('--json'),
    smoke: argv.includes('--smoke'),
    full: argv.includes('--full') || minutes !== undefined,
    minutes: minutes === undefined ? undefined : Number(minutes),
    childFlags: flagList('--child-flags'),
    agentFlags: flagList('--agent-flags'),
    only: only === undefined ? undefined : only.split(',').map((s) => s.trim().toLowerCase()),
    agentConfig: agentConfig === undefined ? undefined : (JSON.parse(agentConfig) as Record<string, unknown>),
    freeswitch: freeswitch === undefined ? undefined : hostPort(freeswitch),
  };
}

export const SUITE_USAGE = 'options: [--json out.json] [--smoke] [--full] [--minutes n] [--only nats,amqp] [--child-flags "--cpu-prof"] [--agent-flags "--max-semi-space-size=4"] [--agent-config \'{"esl":{"pool_size":1}}\'] [--freeswitch host:port] (bench/README.md)';

/** `parseSuiteArgs` for a suite's entry point: `--help` prints the options, a bad option says what is wrong (no stack) and exits 2. */
export function suiteArgsOrExit(suite: string, argv: readonly string[]): SuiteArgs {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`${suite} ${SUITE_USAGE}`);
    process.exit(0);
  }
  try {
    return parseSuiteArgs(argv);
  } catch (err) {
    console.error(`${suite}: ${(err as Error).message}\n${SUITE_USAGE}`);
    process.exit(2);
  }
}

function hostPort(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  const host = text.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(text.slice(at + 1));
  if (at <= 0 || host === '' || !Number.isInteger(port) || port <= 0 || port > 65_535) throw new Error(`--freeswitch must be host:port, got ${JSON.stringify(text)}`);
  return { host, port };
}

/** For the suites that need the simulator's own controls: `--freeswitch` cannot apply to them. */
export function refuseFreeswitch(args: SuiteArgs, suite: string, why: string): void {
  if (args.freeswitch !== undefined) throw new Error(`${suite} cannot run against --freeswitch: ${why}`);
}

export function writeReport(file: string | undefined, report: unknown): void {
  if (file !== undefined) writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
}

/** Awaits `ms` of wall time: a benchmark's measuring window (never used to synchronise). */
export function measureFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
