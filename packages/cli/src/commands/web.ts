/**
 * `fsbus web`: the dashboard (@fsbus/web) for every node on the bus, until SIGINT/SIGTERM. The
 * first line printed is machine-readable (`fsbus web listening on <url>`), so scripts can use
 * `--port 0`. Bus flags and env are the ones every bus command takes.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_WEB_HOST, DEFAULT_WEB_PORT, defaultStaticDir, startWeb, type StartWebOptions, type WebAuth } from '@fsbus/web';
import type { CliCommand, CliIo } from '../command.js';
import { BUS_OPTIONS_HELP, GLOBAL_OPTIONS, connectOptions, resolveConnection } from '../bus/global-options.js';
import { argumentProblem, withNegativeValues } from '../bus/usage.js';
import { redact } from '@fsbus/transport';

const HELP = `usage: fsbus web [--port ${DEFAULT_WEB_PORT}] [--host ${DEFAULT_WEB_HOST}] [options]

Serves the live dashboard: one card per node (agent.status), live channels, the event stream,
per-call timelines, calls/s and events/s, and call controls (originate, hangup, playback, park).

options:
  --port <port>        HTTP port, 0 = any free port (default ${DEFAULT_WEB_PORT})
  --host <address>     listen address (default ${DEFAULT_WEB_HOST}); anything but loopback needs
                       FSBUS_WEB_TOKEN or FSBUS_WEB_USER + FSBUS_WEB_PASSWORD (or --insecure)
  --static <dir>       serve this production build (default: packages/web/static when built,
                       else the app is built in memory at start)
  --poll <ms>          how often nodes are asked for agent.status (default 2000)
  --node-retention <s> how long a node that stopped answering stays on the page, offline,
                       before it is removed (default 600)
  --max-nodes <n>      nodes kept; past it the longest unseen makes room (default 1000)
  --event-stall <s>    a node whose FreeSWITCH sent no event for this long (HEARTBEAT comes
                       every 20 s) is said stalled, its calls shown stale; 0 = off (default 50)
  --max-channels <n>   live channels kept, all nodes together; past it the oldest goes
                       (default 5000)
  --event-history <n>  events the server keeps for the event list, details and calls not in the
                       table; each live call keeps its own timeline anyway (default 2000)
  --max-originates <n> originates ringing at once from the page, all browsers together; past it
                       the page is told 429 FSBUS_ERR_WEB_BUSY and nothing is sent (default 20)
  --timeout <ms>       how long a control from the page waits for its reply (env
                       FSBUS_TIMEOUT_MS; default 10000; originate waits at least 65000)
  --insecure           allow a non-loopback --host without auth

env (secrets stay on the server, never in the page):
  FSBUS_WEB_TOKEN                  open the page once as /?token=<token> (then a session cookie)
  FSBUS_WEB_USER, FSBUS_WEB_PASSWORD   HTTP basic auth (both, non-empty: one alone is a usage error)
  FSBUS_WEB_ALLOWED_HOSTS          DNS names the page may be opened by (name or name:port, comma-
                                   separated); IPs, localhost and --host always work
  FSBUS_BROKER_TOKEN, FSBUS_BROKER_USER, FSBUS_BROKER_PASSWORD, FSBUS_BROKER_NKEY_SEED,
  FSBUS_BROKER_CREDS (a NATS .creds file)

bus options:
${BUS_OPTIONS_HELP}
  -h, --help           this help

exit codes: 0 stopped by SIGINT/SIGTERM, 1 could not start (port taken, insecure bind), 2 usage`;

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new Error(`${what} must be a port number (0-65535), got ${JSON.stringify(text)}`);
  return n;
}

function positiveInteger(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || !Number.isSafeInteger(n)) throw new Error(`${what} must be a whole number of at least 1, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * Page auth from the environment. A half-set pair (or an empty value) is a usage error: dropping
 * it silently would serve the dashboard with no auth at all (open behind a reverse proxy).
 */
function authFrom(env: NodeJS.ProcessEnv): WebAuth {
  const auth: WebAuth = {};
  const token = env['FSBUS_WEB_TOKEN'];
  if (token !== undefined) {
    if (token === '') throw new Error('FSBUS_WEB_TOKEN is set but empty');
    auth.token = token;
  }
  const user = env['FSBUS_WEB_USER'];
  const password = env['FSBUS_WEB_PASSWORD'];
  if (user === undefined && password === undefined) return auth;
  const missing = [user === undefined || user === '' ? 'FSBUS_WEB_USER' : undefined, password === undefined || password === '' ? 'FSBUS_WEB_PASSWORD' : undefined].filter((m) => m !== undefined);
  if (missing.length > 0) {
    throw new Error(`basic auth needs FSBUS_WEB_USER and FSBUS_WEB_PASSWORD, both non-empty: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing or empty`);
  }
  if (user !== undefined && password !== undefined) auth.basic = { user, password };
  return auth;
}

const WEB_OPTIONS = {
  ...GLOBAL_OPTIONS,
  port: { type: 'string' },
  host: { type: 'string' },
  static: { type: 'string' },
  poll: { type: 'string' },
  'node-retention': { type: 'string' },
  'max-nodes': { type: 'string' },
  'event-stall': { type: 'string' },
  'max-channels': { type: 'string' },
  'max-originates': { type: 'string' },
  'event-history': { type: 'string' },
  insecure: { type: 'boolean' },
} as const;

/** `note`: told which of several running demos the dashboard uses, as the bus commands say it. */
export function webOptions(argv: readonly string[], env: NodeJS.ProcessEnv, note: (line: string) => void = () => undefined): StartWebOptions | 'help' {
  const { values } = parseArgs({
    args: withNegativeValues(argv, WEB_OPTIONS),
    options: WEB_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return 'help';
  const connection = resolveConnection(values, env);
  if (connection.note !== undefined) note(`fsbus web: ${connection.note}`);
  const c = connectOptions(connection, env);
  const options: StartWebOptions = {
    bus: {
      driver: connection.driver,
      servers: connection.servers,
      ...(connection.prefix === undefined ? {} : { prefix: connection.prefix }),
      ...(connection.inboxPrefix === undefined ? {} : { inboxPrefix: connection.inboxPrefix }),
      ...(c.auth === undefined ? {} : { auth: c.auth }),
      ...(c.tls === undefined ? {} : { tls: c.tls }),
    },
    port: values.port === undefined ? DEFAULT_WEB_PORT : port(values.port, '--port'),
    host: values.host ?? DEFAULT_WEB_HOST,
    auth: authFrom(env),
    allowInsecure: values.insecure === true,
  };
  if (connection.timeoutMs !== undefined) options.commandTimeoutMs = connection.timeoutMs;
  const dir = values.static ?? defaultStaticDir();
  if (dir !== undefined) options.staticDir = dir;
  if (values.poll !== undefined) {
    const ms = Number(values.poll);
    if (!Number.isInteger(ms) || ms < 100) throw new Error(`--poll must be at least 100 (ms), got ${JSON.stringify(values.poll)}`);
    options.pollIntervalMs = ms;
  }
  const retention = values['node-retention'];
  if (retention !== undefined) options.offlineNodeRetentionMs = positiveInteger(retention, '--node-retention') * 1000;
  const stall = values['event-stall'];
  if (stall !== undefined) {
    if (!/^\d+$/.test(stall) || !Number.isSafeInteger(Number(stall) * 1000)) throw new Error(`--event-stall must be a whole number of seconds (0 = off), got ${JSON.stringify(stall)}`);
    options.eventStallMs = Number(stall) * 1000;
  }
  if (values['max-nodes'] !== undefined) options.maxNodes = positiveInteger(values['max-nodes'], '--max-nodes');
  if (values['max-channels'] !== undefined) options.maxChannels = positiveInteger(values['max-channels'], '--max-channels');
  if (values['event-history'] !== undefined) options.eventHistory = positiveInteger(values['event-history'], '--event-history');
  if (values['max-originates'] !== undefined) options.maxPendingOriginates = positiveInteger(values['max-originates'], '--max-originates');
  return options;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let options: StartWebOptions | 'help';
  try {
    options = webOptions(argv, process.env, (line) => io.err(line));
  } catch (err) {
    io.err(`fsbus web: ${argumentProblem(err, WEB_OPTIONS)}; see fsbus web --help`);
    return 2;
  }
  if (options === 'help') {
    io.out(HELP);
    return 0;
  }
  let web;
  try {
    web = await startWeb(options);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // @fsbus/web's refusal names its API option (allowInsecure); on the command line it is --insecure.
    const raw = (err as Error).message;
    const message = code === 'FSBUS_ERR_WEB_INSECURE_BIND' ? raw.replace(/\ballowInsecure\b/g, '--insecure') : raw;
    io.err(`fsbus web: ${typeof code === 'string' ? `${code}: ` : ''}${message}`);
    return 1;
  }
  // Listening before the ready line: whoever reads it may signal at once.
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  io.out(`fsbus web listening on ${web.url}`);
  io.out(busLine(options));
  await stopped;
  await web.close();
  io.out('fsbus web stopped');
  return 0;
}

export const webCommand: CliCommand = { help: HELP, run };

/** Where the dashboard's bus is, for stdout (a journal, a log collector): the URLs without credentials. */
export function busLine(options: StartWebOptions): string {
  return `bus: ${options.bus?.driver ?? 'nats'} ${redact((options.bus?.servers ?? []).join(','))} (the page shows "connecting" until it is reachable)`;
}
