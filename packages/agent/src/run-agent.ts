/**
 * `fsbus agent [--config <file>]`: load config (file + env), start, stop gracefully on
 * SIGINT/SIGTERM. Returns the process exit code.
 */
import { parseArgs } from 'node:util';
import { Agent } from './agent.js';
import { loadConfig } from './config/load-config.js';
import { ConfigError } from './errors.js';

export const AGENT_USAGE = `usage: fsbus agent [--config <file.json|file.yaml>]

Bridges one FreeSWITCH node (Event Socket) to a message broker. Configured by the file and by
FSBUS_* environment variables (env wins); secrets only from env. See docs/agent.md.`;

export interface RunAgentIo {
  out(line: string): void;
  err(line: string): void;
}

const stdio: RunAgentIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export async function runAgent(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: RunAgentIo = stdio): Promise<number> {
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    io.err(`${(err as Error).message}\n${AGENT_USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.out(AGENT_USAGE);
    return 0;
  }
  let agent: Agent;
  try {
    agent = new Agent(loadConfig({ ...(values.config === undefined ? {} : { file: values.config }), env }));
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`fsbus agent: ${err.message}`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  try {
    await agent.start();
  } catch (err) {
    agent.logger.fatal({ err }, 'agent could not start');
    return 1;
  }
  return new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      agent.logger.info({ signal }, 'shutting down');
      // A second signal ends the process at once (the default action).
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const timeoutMs = agent.config.shutdown_timeout_ms;
      const timer = setTimeout(() => {
        agent.logger.error({ timeoutMs }, 'agent did not stop in time: exiting anyway');
        agent.flushLog();
        resolve(1);
      }, timeoutMs);
      agent.stop().then(
        () => {
          clearTimeout(timer);
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          agent.logger.error({ err }, 'shutdown failed');
          agent.flushLog();
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
