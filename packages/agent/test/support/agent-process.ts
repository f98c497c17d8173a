/**
 * `fsbus agent` as a real process (the CLI's sources through tsx, no launcher in front), its JSON
 * log lines kept as they come: for what only a process shows — signals, exit codes, stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Log } from './fault-rig.js';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const main = fileURLToPath(new URL('../../../cli/src/main.ts', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly logs: Log[];
  readonly exited: Promise<Exit>;
  stderr(): string;
  /** Resolves with the first log line (seen so far or to come) matching `pred`; rejects if the process exits first. */
  line(pred: (l: Log) => boolean, what: string): Promise<Log>;
  /** SIGKILL if still running (test cleanup). */
  kill(): void;
}

/** Spawns `fsbus agent` with only PATH and `env` in its environment. */
export function spawnAgent(env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main, 'agent'], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const logs: Log[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let entry: Log;
    try {
      entry = JSON.parse(text) as Log;
    } catch {
      entry = { msg: text, notJson: true };
    }
    logs.push(entry);
    for (const w of [...waiters]) w();
  });
  let gone: Exit | undefined;
  void exited.then((e) => {
    gone = e;
    for (const w of [...waiters]) w();
  });
  return {
    child,
    logs,
    exited,
    stderr: () => stderr,
    line(pred, what) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = logs.find(pred);
          if (found !== undefined) {
            waiters.delete(check);
            resolve(found);
          } else if (gone !== undefined) {
            waiters.delete(check);
            reject(new Error(`agent exited (${JSON.stringify(gone)}) before ${what}; log: ${JSON.stringify(logs)}; stderr: ${stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** `fsbus agent` for node `nodeId`, once it said 'agent started'. */
export async function startedAgent(nodeId: string, brokerUrl: string, eslPort: number, env: Record<string, string> = {}): Promise<AgentProcess> {
  const agent = spawnAgent({
    FSBUS_BROKER_URL: brokerUrl,
    FSBUS_NODE_ID: nodeId,
    FSBUS_ESL_PORT: String(eslPort),
    FSBUS_ESL_PASSWORD: 'ClueCon',
    FSBUS_METRICS: 'false',
    ...env,
  });
  try {
    await agent.line((l) => l['msg'] === 'agent started', "'agent started'");
  } catch (err) {
    agent.kill();
    throw err;
  }
  return agent;
}
