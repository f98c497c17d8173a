/**
 * `fsbus agent [--config <file>]`: load config (file + env), start, stop gracefully on
 * SIGINT/SIGTERM. Returns the process exit code: 0 stopped; 2 a usage error; 78 (EX_CONFIG) a
 * configuration error, or a start that failed for a reason restarting cannot fix (the broker
 * refused the credentials or its TLS certificate, an address not of this host); 1 any other
 * failure (the broker not reachable yet, a port in use, a stop past shutdown_timeout_ms).
 *
 * During the stop a second SIGINT (Ctrl-C twice) ends the process at once; a repeated SIGTERM is
 * ignored. Under systemd (KillMode=control-group) every process of the unit gets SIGTERM, and a
 * launcher in front (bin/fsbus.js without a build, npx) passes its own on too: the agent gets two
 * for one stop, and the second must not cut the drain short. systemd's SIGKILL after
 * TimeoutStopSec, and shutdown_timeout_ms here, bound the stop anyway. SIGHUP (a reload, for
 * many daemons) is logged and ignored: the configuration is read only at start.
 */
import { parseArgs } from 'node:util';
import { hostPort } from '@fsbus/esl';
import { tlsVerifyFailure } from '@fsbus/transport';
import { Agent } from './agent.js';
import { brokerAuthHint } from './config/broker-auth-hint.js';
import { loadConfig } from './config/load-config.js';
import { envWarnings } from './config/start-warnings.js';
import { unknownEnv, unknownEnvWarning } from './config/unknown-env.js';
import type { AgentConfig } from './config/schema.js';
import { causeChain, ConfigError, ListenError, type AgentServer } from './errors.js';

export const AGENT_USAGE = `usage: fsbus agent [--config <file.json|file.yaml>]

Bridges one FreeSWITCH node (Event Socket) to a message broker. Configured by the file and by
FSBUS_* environment variables (env wins); secrets only from env. See docs/agent.md.`;

export interface RunAgentIo {
  out(line: string): void;
  err(line: string): void;
}

/**
 * A configuration refused at load, said as a start says it (fsbus agent --check-config too): the
 * message, then the unknown FSBUS_* names (a misspelt one may be why); EX_CONFIG.
 */
export function configRefused(err: ConfigError, env: Readonly<Record<string, string | undefined>>, io: Pick<RunAgentIo, 'err'>): number {
  io.err(`fsbus agent: ${err.message}`);
  const unknownWarning = unknownEnvWarning(unknownEnv(env));
  if (unknownWarning !== undefined) io.err(`fsbus agent: ${unknownWarning}`);
  return 78; // EX_CONFIG
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
  let agent: Agent;
  try {
    agent = new Agent(loadConfig({ ...(values.config === undefined ? {} : { file: values.config }), env }));
  } catch (err) {
    if (err instanceof ConfigError) return configRefused(err, env, io);
    throw err;
  }
  // The configuration's own warnings are Agent.start's (configWarnings).
  for (const w of envWarnings(env)) agent.logger.warn(w.fields, w.message);
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
    const failed = startFailure(agent.config, err);
    agent.logger.fatal({ err, ...(failed.hint === undefined ? {} : { hint: failed.hint }) }, 'agent could not start');
    return failed.exitCode;
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
        agent.logger.error({ timeout_ms: timeoutMs }, 'agent did not stop in time: exiting anyway');
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

interface StartFailure {
  /** 78 (EX_CONFIG): starting again cannot help, the unit stops restarting; 1: it may (the broker comes up, the port is freed). */
  exitCode: 1 | 78;
  hint?: string;
}

/** Why the start failed, along the error's cause chain: what to check, and whether restarting can help. */
function startFailure(config: AgentConfig, err: unknown): StartFailure {
  const tls = tlsVerifyFailure(err);
  if (tls === 'untrusted') return { exitCode: 78, hint: untrustedHint(config) };
  if (tls === 'name-mismatch') return { exitCode: 78, hint: nameMismatchHint(config) };
  const chain = causeChain(err);
  for (const e of chain) {
    if (e instanceof ListenError) {
      const failed = listenFailure(config, e);
      if (failed !== undefined) return failed;
    }
  }
  const hint = brokerAuthHint(config.driver, err, chain);
  if (hint === undefined) return { exitCode: 1 };
  // NATS's 'Authentication Timeout' is the server's wait for the CONNECT running out (a slow link), not a refusal.
  return { exitCode: chain.some((e) => /authentication timeout/i.test(e.message)) ? 1 : 78, hint };
}

function untrustedHint(config: AgentConfig): string {
  const ca = typeof config.broker.tls === 'object' ? config.broker.tls.ca_file : undefined;
  if (ca === undefined) {
    return "the broker's TLS certificate could not be verified with this host's trusted CAs (self-signed, or a private CA?): give the PEM certificate of the CA that signed it in FSBUS_BROKER_TLS_CA (broker.tls.ca_file)";
  }
  return `the broker's TLS certificate could not be verified with the CA in ${ca} (FSBUS_BROKER_TLS_CA, broker.tls.ca_file): it must hold the PEM certificate of the CA that signed the broker's`;
}

function nameMismatchHint(config: AgentConfig): string {
  // nats.js gives no server name for an IP address URL: Node then checks the certificate against 'localhost'.
  const nats = config.driver === 'nats' ? '; nats.js checks a URL by IP address against "localhost", so a certificate with only IP SANs is refused: name the broker by a DNS name (docs/deploy.md)' : '';
  return `the broker's TLS certificate does not name the host of the broker URL: use a URL naming a host the certificate lists as a DNS name (subjectAltName)${nats}`;
}

const LISTEN_SETTINGS: Readonly<Record<AgentServer, { host: string; port: string }>> = {
  metrics: { host: 'metrics.host (FSBUS_METRICS_HOST)', port: 'metrics.port (FSBUS_METRICS_PORT)' },
  dialplan: { host: 'dialplan.host (FSBUS_DIALPLAN_HOST)', port: 'dialplan.port (FSBUS_DIALPLAN_PORT)' },
};

/**
 * A server that could not listen, named by the error (both may be on one host: the address
 * cannot tell them apart). EACCES and EADDRNOTAVAIL stay until the configuration changes; a port
 * in use may be freed.
 */
function listenFailure(config: AgentConfig, err: ListenError): StartFailure | undefined {
  const which = LISTEN_SETTINGS[err.server];
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES') return { exitCode: 78, hint: `set ${which.port} to 1024 or above, or give the service CAP_NET_BIND_SERVICE` };
  if (code === 'EADDRNOTAVAIL') return { exitCode: 78, hint: `set ${which.host} to an address of this host, or 0.0.0.0 for every interface` };
  if (code === 'EADDRINUSE') {
    // The dialplan endpoint listens first: metrics given its port finds it taken by the agent itself, at every start.
    if (err.server === 'metrics' && sharePort(config)) {
      return { exitCode: 78, hint: `${LISTEN_SETTINGS.metrics.port} and ${LISTEN_SETTINGS.dialplan.port} are both ${config.metrics.port}: give each its own port` };
    }
    const { host, port } = config[err.server];
    return { exitCode: 1, hint: `another process listens on ${hostPort(host, port ?? 0)}: stop it, or set ${which.port} to a free port` };
  }
  return undefined;
}

/** Whether metrics and the dialplan endpoint are given one port on addresses that overlap (one host, or a wildcard). */
function sharePort(config: AgentConfig): boolean {
  const { metrics: m, dialplan: d } = config;
  const wildcard = (host: string) => host === '0.0.0.0' || host === '::';
  return m.port !== 0 && d.port === m.port && (m.host === d.host || wildcard(m.host) || wildcard(d.host));
}
