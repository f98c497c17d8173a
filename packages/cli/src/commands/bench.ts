/**
 * `fsbus bench <suite> [--json f] [--smoke] [--full] …`: runs one of the repository's benchmark
 * suites (bench/<suite>/run.ts) in a child node process, or `fsbus bench report` to regenerate
 * docs/benchmarks.md. The suites live in the source checkout, not in the published package.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliCommand, CliIo } from '../command.js';

export const BENCH_SUITES = ['esl-parse', 'esl-api', 'bus-command', 'bus-events', 'memory'] as const;
/** The suites that can measure a real FreeSWITCH (`--freeswitch`); the others need the simulator's injector, or no switch. */
export const FREESWITCH_SUITES = ['esl-api', 'bus-command'] as const;

const HELP = `usage: fsbus bench <suite|all|report> [options]

Runs a benchmark suite: it starts what it needs on loopback (simulator, broker, agent), prints
a table on stdout (progress on stderr) and, with --json, writes the report.

suites: ${BENCH_SUITES.join(', ')}
  all                  every suite in turn (--json-dir <dir> writes <dir>/<suite>.json); one
                       that fails (exit 1) does not stop the others, and the run exits 1
  report               regenerate docs/benchmarks.md (+ chart) from bench/results/*.json:
                       --results <dir>, --out <file.md> (elsewhere than docs/), --allow-failed
                       (render results that record a driver failed during its run: refused
                       otherwise, exit 1)

options:
  --json <file>        write the JSON report
  --smoke              a tiny run (CI); its numbers mean nothing
  --full               the long variant (memory: the 5-minute soak)
  --minutes <n>        memory: a soak of n minutes instead
  --only <drivers>     bus suites: only these drivers (e.g. nats)
  --child-flags "<f>"  node flags for the simulator and agent processes (e.g. "--cpu-prof")
  --agent-flags "<f>"  bus suites, memory: node flags for the agent's process alone
                       (e.g. "--max-semi-space-size=2")
  --agent-config '<json>'
                       bus suites: merged into the agent's config, for experiments
                       (e.g. '{"esl":{"pool_size":1}}'); the published tables use the defaults
  --freeswitch <host:port>
                       esl-api, bus-command: measure that FreeSWITCH instead of the simulator
                       (password from FSBUS_ESL_PASSWORD, default ClueCon; with \`all\`, only those
                       two suites run). Not a production switch: it gets tens of thousands of
                       \`api status\` a second.

Runs from a source checkout (bench/ is not published).`;

/** The checkout's root, found from this file (packages/cli/src/commands or dist/commands). */
function repoRoot(): string | undefined {
  for (const up of ['../../../..', '../../..']) {
    const root = fileURLToPath(new URL(`${up}/`, import.meta.url));
    if (existsSync(`${root}bench/esl-api/run.ts`)) return root;
  }
  return undefined;
}

/**
 * Runs a suite in its own node process. A SIGTERM or SIGHUP sent to `fsbus bench` is passed on,
 * so the suite stops what it started; Ctrl-C's SIGINT reaches both through the process group.
 */
function runScript(root: string, script: string, argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...argv], { cwd: root, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    const forwarded = ['SIGTERM', 'SIGHUP'] as const;
    for (const signal of forwarded) process.on(signal, forward);
    const finish = (code: number): void => {
      for (const signal of forwarded) process.off(signal, forward);
      resolve(code);
    };
    child.on('error', () => finish(1));
    child.on('exit', (code, signal) => finish(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0))));
  });
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [suite, ...rest] = argv;
  if (suite === undefined) {
    io.err(HELP);
    return 2;
  }
  const root = repoRoot();
  if (root === undefined) {
    io.err('fsbus bench: the benchmark suites run from a source checkout of fsbus (bench/ not found)');
    return 1;
  }
  if (suite === 'report') return runScript(root, 'bench/report.ts', rest);
  if (suite === 'all') {
    const at = rest.indexOf('--json-dir');
    const dir = at >= 0 ? rest[at + 1] : undefined;
    if (at >= 0 && dir === undefined) {
      io.err('fsbus bench: --json-dir needs a directory');
      return 2;
    }
    const others = at >= 0 ? rest.filter((_, i) => i !== at && i !== at + 1) : rest;
    const external = others.includes('--freeswitch');
    if (external) io.err(`fsbus bench all --freeswitch: running ${FREESWITCH_SUITES.join(' and ')} (the other suites need the simulator, or no switch)`);
    let failed = 0;
    for (const s of external ? FREESWITCH_SUITES : BENCH_SUITES) {
      const code = await runScript(root, `bench/${s}/run.ts`, dir === undefined ? others : [...others, '--json', `${dir}/${s}.json`]);
      // 1: the suite failed (a driver not measured, after its report) and the next ones still run;
      // a bad option (2) or a signal (128 + n) stops here.
      if (code === 1) failed = 1;
      else if (code !== 0) return code;
    }
    return failed;
  }
  if (!(BENCH_SUITES as readonly string[]).includes(suite)) {
    io.err(`fsbus bench: unknown suite ${JSON.stringify(suite)} (known: ${BENCH_SUITES.join(', ')}, all, report)`);
    return 2;
  }
  return runScript(root, `bench/${suite}/run.ts`, rest);
}

export const benchCommand: CliCommand = { help: HELP, run };
