/**
 * The processes a suite runs besides itself: the simulator (`fsbus sim`) and the agent
 * (`fsbus agent`), each in its own node process so its CPU and RSS are its own and it does not
 * share an event loop with the load generator. Both run from a one-file build of the CLI
 * (build-cli.ts), as deployed, not through tsx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processTempDir, stopChild, stopOnTermination } from '@fsbus/testkit';

import { buildCli } from './build-cli.js';
import { REPO_ROOT } from './paths.js';

export { REPO_ROOT };

export interface Child {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last 64 KB of its output, for error messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Node flags (e.g. `--cpu-prof`), the CLI bundle, then the CLI's arguments. */
async function cliArgs(nodeFlags: readonly string[], args: readonly string[]): Promise<string[]> {
  return [...nodeFlags, await buildCli(), ...args];
}

/** Spawns `fsbus <args>` and resolves once its output matches `ready` (bounded by `timeoutMs`). */
export async function spawnCli(args: readonly string[], ready: RegExp, options: { env?: NodeJS.ProcessEnv; nodeFlags?: readonly string[]; timeoutMs?: number } = {}): Promise<{ child: Child; match: RegExpMatchArray }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const argv = await cliArgs(options.nodeFlags ?? [], args);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, argv, {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stopOnTermination(proc); // a suite stopped by a signal (`kill`) must not leave it running
    let output = '';
    let settled = false;
    const child: Child = {
      child: proc,
      pid: proc.pid ?? -1,
      log: () => output,
      stop: () => stopChild(proc),
    };
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-65536);
      if (settled) return;
      const m = output.match(ready);
      if (m) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`fsbus ${args[0] ?? ''} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      proc.kill('SIGKILL');
      reject(new Error(`fsbus ${args[0] ?? ''} not ready after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
  });
}

/** Runs a bench helper script (TypeScript, through tsx) until its output matches `ready`. */
export function spawnScript(script: string, args: readonly string[], ready: RegExp, timeoutMs = 60_000): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(REPO_ROOT, script), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    stopOnTermination(proc);
    let output = '';
    let settled = false;
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === undefined) resolve({ child: proc, pid: proc.pid ?? -1, log: () => output, stop: () => stopChild(proc) });
      else {
        proc.kill('SIGKILL');
        reject(err);
      }
    };
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-65536);
      if (ready.test(output)) done();
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => done(new Error(`${script} exited (${code ?? '?'}) before it was ready:\n${output}`)));
    const timer = setTimeout(() => done(new Error(`${script} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
  });
}

export interface SimChild extends Child {
  readonly host: string;
  readonly port: number;
  readonly controlUrl: string;
}

/** `fsbus sim --port 0 --control-port 0`, ready once it printed both addresses. */
export async function startSim(nodeFlags: readonly string[] = []): Promise<SimChild> {
  const { child, match } = await spawnCli(['sim', '--port', '0', '--control-port', '0'], /listening on ([\d.]+):(\d+)\s+fsbus sim control on (http:\/\/[\d.:]+)/, { nodeFlags });
  return { ...child, host: match[1]!, port: Number(match[2]), controlUrl: match[3]! };
}

/** POSTs a JSON body to the simulator's control API and returns the JSON reply. */
export async function simControl<T>(sim: SimChild, route: string, body: unknown): Promise<T> {
  const res = await fetch(`${sim.controlUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const reply = (await res.json()) as T;
  if (!res.ok) throw new Error(`sim control ${route}: ${res.status} ${JSON.stringify(reply)}`);
  return reply;
}

export interface AgentChild extends Child {
  readonly nodeId: string;
  readonly poolSize: number;
}

export interface AgentChildOptions {
  driver: string;
  brokerUrl: string;
  /** The switch; `password` (default ClueCon) reaches the agent as FSBUS_ESL_PASSWORD. */
  esl: { host: string; port: number; password?: string };
  nodeId?: string;
  /** ESL command connections. @default 3 (the agent's default) */
  poolSize?: number;
  /** pino level; `info` (the default, as deployed) writes one audit line per command. */
  logLevel?: string;
  /** Extra config: sections (objects) are merged into the defaults, other fields replace them. */
  config?: Record<string, unknown>;
  nodeFlags?: readonly string[];
}

/**
 * `fsbus agent --config <tmp.json>`, its logs going to a file as a service manager would keep
 * them (a pipe read by this process would tax the load generator). Resolves once spawned; the
 * caller waits for readiness over the bus (see bus.ts `waitAgentReady`).
 */
export async function startAgent(o: AgentChildOptions): Promise<AgentChild> {
  const nodeId = o.nodeId ?? 'bench-node';
  // Goes with the suite also when a signal stops it before stop().
  const temp = processTempDir('fsbus-bench-agent-');
  const dir = temp.dir;
  const file = join(dir, 'agent.json');
  const logPath = join(dir, 'agent.log');
  const config: Record<string, unknown> = {
    node_id: nodeId,
    driver: o.driver,
    broker: { urls: o.brokerUrl },
    esl: { host: o.esl.host, port: o.esl.port, pool_size: o.poolSize ?? 3 },
    commands: { max_in_flight: 4096 },
    events: {},
    metrics: { enabled: false },
    log_level: o.logLevel ?? 'info',
  };
  for (const [k, v] of Object.entries(o.config ?? {})) {
    const base = config[k];
    config[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof base === 'object' && base !== null ? { ...base, ...v } : v;
  }
  writeFileSync(file, JSON.stringify(config, null, 2));
  // What the agent will run with, `--agent-config '{"esl":{"pool_size":1}}'` included (readiness waits for all).
  const poolSize = Number((config['esl'] as { pool_size: unknown }).pool_size);
  // Only the password comes from env (secrets never from the file); the parent's FSBUS_* stay out.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FSBUS_') && !k.startsWith('MOD_EVENT_AGENT_')));
  env['FSBUS_ESL_PASSWORD'] = o.esl.password ?? 'ClueCon';
  const argv = await cliArgs(o.nodeFlags ?? [], ['agent', '--config', file]);
  const fd = openSync(logPath, 'a');
  const proc = spawn(process.execPath, argv, { cwd: REPO_ROOT, env, stdio: ['ignore', fd, fd] });
  stopOnTermination(proc);
  closeSync(fd);
  const log = (): string => {
    try {
      return readFileSync(logPath, 'utf8').slice(-65536);
    } catch {
      return '';
    }
  };
  return {
    child: proc,
    pid: proc.pid ?? -1,
    nodeId,
    poolSize,
    log,
    stop: async () => {
      await stopChild(proc);
      temp.remove();
    },
  };
}
