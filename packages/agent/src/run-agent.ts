/**
 * `fsbus agent [--config <file>]`: load config (file + env), start, stop gracefully on
 * SIGINT/SIGTERM. Returns the process exit code.
 *
 * During the stop a second SIGINT (Ctrl-C twice) ends the process at once; a repeated SIGTERM is
 * ignored. Under systemd (KillMode=control-group) every process of the unit gets SIGTERM, and a
 * launcher in front (bin/fsbus.js without a build, npx) passes its own on too: the agent gets two
 * for one stop, and the second must not cut the drain short. systemd's SIGKILL after
 * TimeoutStopSec, and shutdown_timeout_ms here, bound the stop anyway. SIGHUP (a reload, for
 * many daemons) is logged and ignored: the configuration is read only at start.
 */
import { parseArgs } from 'node:util';
import { Agent } from './agent.js';
import { brokerAuthHint } from './config/broker-auth-hint.js';
import { loadConfig } from './config/load-config.js';
import { unknownEnv, unknownEnvWarning } from './config/unknown-env.js';
import { ConfigError } from './errors.js';

export const AGENT_USAGE = `usage: fsbus agent [--config <file.json|file.yaml>]

Bridges one FreeSWITCH node (Event Socket) to a message broker. Configured by the file and by
FSBUS_* environment variables (env wins); secrets only from env. See docs/agent.md.`;

export interface RunAgentIo {
  out(line: string): void;
  err(line: string): void;
}

const SIGHUP_IGNORED = 'SIGHUP ignored: the configuration is read only at start, restart the agent to apply a change';

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
  // A misspelt name is otherwise silently ignored (its setting left at the default).
  const unknown = unknownEnv(env);
  const unknownWarning = unknownEnvWarning(unknown);
  let agent: Agent;
  try {
    agent = new Agent(loadConfig({ ...(values.config === undefined ? {} : { file: values.config }), env }));
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`fsbus agent: ${err.message}`);
      if (unknownWarning !== undefined) io.err(`fsbus agent: ${unknownWarning}`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  if (unknownWarning !== undefined) {
    agent.logger.warn({ unknown_env: Object.fromEntries(unknown.map((u) => [u.name, u.didYouMean ?? null])) }, unknownWarning);
  }
  try {
    // Before connecting: a state file the agent cannot use is said without waiting for the broker.
    await agent.park.openStateFile();
    await agent.start();
  } catch (err) {
    agent.flushLog();
    // The config is refused at start too (the park state file): as at load, EX_CONFIG.
    if (err instanceof ConfigError) {
      io.err(`fsbus agent: ${err.message}`);
      return 78;
    }
    const hint = brokerAuthHint(agent.config.driver, err);
    agent.logger.fatal({ err, ...(hint === undefined ? {} : { hint }) }, 'agent could not start');
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) {
        agent.logger.debug({ signal }, `${signal} ignored: already stopping`);
        return;
      }
      stopping = true;
      agent.logger.info({ signal }, 'shutting down');
      // The next SIGINT gets the default action: the process ends at once.
      process.off('SIGINT', onStop);
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
    const onHangup = () => {
      if (stopping) agent.logger.debug({ signal: 'SIGHUP' }, 'SIGHUP ignored: already stopping');
      else agent.logger.warn({ signal: 'SIGHUP' }, SIGHUP_IGNORED);
    };
    // Left in place once stopped: a duplicate arriving while the process exits must not turn exit 0 into 143.
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    process.on('SIGHUP', onHangup);
  });
}
