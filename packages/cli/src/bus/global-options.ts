/**
 * What every bus command shares: the global flags and env (`--driver`, `--server`, `--prefix`,
 * `--inbox-prefix`, `--timeout`), the connection they resolve to (flags > env > the running demo >
 * defaults), and one way to report errors: the code, the message, a one-line hint, a documented
 * exit code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { buildSubjects, BusErrorCode, prefixProblem, terminalJson, terminalLine, terminalText } from '@fsbus/contract';
import { ClientError, ClientErrorCode, connect, DEFAULT_SERVER, nodeOption, ReplyError, type CallOptions, type ConnectOptions, type FsbusClient } from '@fsbus/client';
import { defaultBrokerUrl, driverForUrls, DRIVER_NAMES, inboxPrefixProblem, natsCredsFileProblem, NKEY_SEED_FORM, nkeySeedProblem, brokerUrlProblem, redact, TransportError, TransportErrorCode } from '@fsbus/transport';
import type { CliIo } from '../command.js';
import { runningDemos, type DemoState } from './demo-state.js';
import { brokerTls, TLS_OPTIONS, TLS_OPTIONS_HELP, TlsSettingError, tlsVerifyHint, type BrokerTls } from './tls-options.js';
import { argumentProblem, withNegativeValues } from './usage.js';

/** Exit codes of the bus commands (docs/cli.md). */
export const ExitCode = {
  OK: 0,
  /** The agent or FreeSWITCH answered with an error. */
  FAILED: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /** The broker cannot be reached (or the connection was lost). */
  UNREACHABLE: 3,
  /** No answer: no agent serves the subject, or it did not reply in time. */
  NO_ANSWER: 4,
} as const;

/**
 * The longest the CLI waits for the broker's connection (the SDK's is 5000): a command line is
 * waited on. A smaller --timeout bounds it too, so a script's --timeout bounds its whole run.
 */
export const CONNECT_TIMEOUT_MS = 3000;

export const GLOBAL_OPTIONS = {
  driver: { type: 'string' },
  server: { type: 'string', short: 's' },
  prefix: { type: 'string' },
  'inbox-prefix': { type: 'string' },
  timeout: { type: 'string' },
  ...TLS_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** The bus options every bus command takes, --timeout aside (its meaning is the command's). */
export const BUS_OPTIONS_HELP = `  --driver <name>      broker driver (env FSBUS_DRIVER or MOD_EVENT_AGENT_DRIVER; default:
                       the one the URL's scheme names, the running demo's, else nats)
  -s, --server <url>   broker URL(s), comma-separated (env FSBUS_SERVERS, FSBUS_BROKER_URL,
                       FSBUS_BROKER_URLS or MOD_EVENT_AGENT_URL; default: the running
                       \`fsbus demo\`, else the driver's port on loopback: ${DEFAULT_SERVER}
                       for nats)
  --prefix <prefix>    subject prefix (env FSBUS_SUBJECT_PREFIX or MOD_EVENT_AGENT_SUBJECT_PREFIX;
                       default freeswitch)
  --inbox-prefix <p>   nats only: the root of this client's reply subjects, for a user allowed
                       to subscribe there only (env FSBUS_INBOX_PREFIX; default _INBOX)
${TLS_OPTIONS_HELP}`;

/**
 * The global options' help; `timeout` is what --timeout bounds and its default for this command
 * (originate waits as long as FreeSWITCH may ring, `--all` gathers for 1500 ms…), one line each.
 */
export function globalHelp(...timeout: string[]): string {
  return `global options:
${BUS_OPTIONS_HELP}
  --timeout <ms>       ${[...timeout, `broker connect wait: the smaller of --timeout and ${CONNECT_TIMEOUT_MS} ms`].join(`\n${' '.repeat(23)}`)}
  -h, --help           this help

exit codes: 0 ok, 1 the command failed, 2 usage, 3 broker unreachable, 4 no answer (no agent / timeout)`;
}

export const GLOBAL_HELP = globalHelp('request timeout (env FSBUS_TIMEOUT_MS; default 5000)');

export class UsageError extends Error {}

export interface Connection {
  driver: string;
  servers: string[];
  prefix: string | undefined;
  /** NATS only: where replies come (ConnectOptions.inboxPrefix). */
  inboxPrefix?: string;
  timeoutMs: number | undefined;
  /** What gave timeoutMs, for the connect failure's message. */
  timeoutFrom?: '--timeout' | 'FSBUS_TIMEOUT_MS';
  /** Broker TLS files (--tls-* or FSBUS_BROKER_TLS_*), read and checked. */
  tls?: BrokerTls;
  /** Where the servers came from, for error hints. */
  source: 'flag' | 'env' | 'demo' | 'default';
  /** What gave them, for error hints: `--server` or the variable's name. */
  from?: string;
  /** Said on stderr before the command runs: which of several running demos it uses. */
  note?: string;
}

/** Where a broker URL is read from, first found first (the agent's names and alias too). */
const SERVER_VARS = ['FSBUS_SERVERS', 'FSBUS_BROKER_URL', 'FSBUS_BROKER_URLS', 'MOD_EVENT_AGENT_URL'];

/** The driver's and the prefix's variables, the agent's mod_event_agent aliases after ours (as the agent reads them). */
const DRIVER_VARS = ['FSBUS_DRIVER', 'MOD_EVENT_AGENT_DRIVER'];
const PREFIX_VARS = ['FSBUS_SUBJECT_PREFIX', 'MOD_EVENT_AGENT_SUBJECT_PREFIX'];

/** The first of `names` set (not blank), for a message that names where a bad value came from. */
const firstSet = (env: NodeJS.ProcessEnv, names: string[]): string | undefined => names.find((n) => first(env, [n]) !== undefined);

const first = (env: NodeJS.ProcessEnv, names: string[]): string | undefined => {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
};

export function resolveConnection(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Connection {
  const flag = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const timeoutText = flag('timeout') ?? first(env, ['FSBUS_TIMEOUT_MS']);
  let timeoutMs: number | undefined;
  if (timeoutText !== undefined) {
    timeoutMs = Number(timeoutText);
    if (!/^\d+$/.test(timeoutText) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, got ${JSON.stringify(timeoutText)}`);
  }
  const split = (s: string): string[] => s.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const serverFlag = flag('server');
  const serverVar = SERVER_VARS.find((n) => first(env, [n]) !== undefined);
  const serverEnv = serverVar === undefined ? undefined : first(env, [serverVar]);
  const chosen = flag('driver') ?? first(env, DRIVER_VARS);
  // Refused here, for every command alike: `web` would otherwise retry a connect that can never work.
  if (chosen !== undefined && !DRIVER_NAMES.includes(chosen.toLowerCase())) {
    throw new UsageError(`${flag('driver') !== undefined ? '--driver' : firstSet(env, DRIVER_VARS)}: unknown driver '${chosen}' (known: ${DRIVER_NAMES.join(', ')})`);
  }
  // The newest running demo is the default only for its own driver: `--driver amqp` does not mean its NATS.
  const demos = serverFlag === undefined && serverEnv === undefined ? runningDemos(env) : [];
  const running = demos[0]?.state;
  const demo = running !== undefined && (chosen === undefined || chosen.toLowerCase() === running.driver.toLowerCase()) ? running : undefined;
  const prefix = flag('prefix') ?? first(env, PREFIX_VARS) ?? demo?.prefix;
  const badPrefix = prefix === undefined ? undefined : prefixProblem(prefix);
  if (badPrefix !== undefined) throw new UsageError(`${flag('prefix') !== undefined ? '--prefix' : firstSet(env, PREFIX_VARS) ?? 'the demo'} ${JSON.stringify(prefix)}: ${badPrefix}`);
  const given = serverFlag ?? serverEnv;
  let found: Pick<Connection, 'driver' | 'servers' | 'source' | 'from'>;
  if (given !== undefined) {
    const from = serverFlag !== undefined ? '--server' : serverVar!;
    const servers = split(given);
    // `-s "$UNSET"` would otherwise mean the default broker, skipping the demo and the env.
    if (servers.length === 0) throw new UsageError(`${from} ${JSON.stringify(given)}: names no broker URL`);
    // No --driver: the URLs' scheme chooses (-s amqp://… is amqp); a URL of another driver, or of a scheme no driver reads, is refused.
    const pick = driverForUrls(chosen, servers);
    if ('mismatch' in pick) throw new UsageError(`${from}: ${pick.mismatch}`);
    // A typo (`amqp//h`, port 314490) or a password cutting the URL: the driver's "Invalid URL" would read as a broker problem.
    const bad = servers.map((s) => brokerUrlProblem(s, pick.driver)).find((p) => p !== undefined);
    if (bad !== undefined) throw new UsageError(`${from}: ${bad}`);
    found = { driver: pick.driver, servers, source: serverFlag !== undefined ? 'flag' : 'env', from };
  } else if (demo !== undefined) found = { driver: demo.driver, servers: demo.servers, source: 'demo' };
  else {
    const driver = chosen ?? 'nats';
    found = { driver, servers: [defaultBrokerUrl(driver)], source: 'default' };
  }
  const inboxPrefix = inboxPrefixFrom(flag('inbox-prefix'), env, found.driver, prefix);
  const note = found.source === 'demo' && demo !== undefined && demos.length > 1 ? severalDemosNote(demos.length, demo) : undefined;
  const tls = tlsFrom(values, env, found.driver);
  const timeoutFrom = timeoutText === undefined ? undefined : flag('timeout') !== undefined ? '--timeout' : 'FSBUS_TIMEOUT_MS';
  return { ...found, prefix, timeoutMs, ...(timeoutFrom === undefined ? {} : { timeoutFrom }), ...(inboxPrefix === undefined ? {} : { inboxPrefix }), ...(tls === undefined ? {} : { tls }), ...(note === undefined ? {} : { note }) };
}

function tlsFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv, driver: string): BrokerTls | undefined {
  try {
    return brokerTls(values, env, driver);
  } catch (err) {
    throw err instanceof TlsSettingError ? new UsageError(err.message) : err;
  }
}

function severalDemosNote(count: number, newest: DemoState): string {
  // From a file in a shared directory: escaped like any text not of our making.
  return terminalLine(`${count} demos are running; using the newest, pid ${newest.pid} (${newest.servers.join(',')}, started ${newest.started}); --server or FSBUS_BROKER_URL picks another`);
}

/**
 * --inbox-prefix / FSBUS_INBOX_PREFIX, checked here as connect() would (so `web` does not retry a
 * connect that can never work): tokens of `[A-Za-z0-9_-]`, not under the agents' subjects. NATS
 * only: no other driver has reply subjects of its own, and no command here waits for an
 * executeApp completion, so elsewhere it would change nothing — refused rather than ignored.
 */
function inboxPrefixFrom(flagged: string | undefined, env: NodeJS.ProcessEnv, driver: string, prefix: string | undefined): string | undefined {
  const value = flagged ?? first(env, ['FSBUS_INBOX_PREFIX']);
  if (value === undefined) return undefined;
  const name = flagged !== undefined ? '--inbox-prefix' : 'FSBUS_INBOX_PREFIX';
  if (driver.toLowerCase() !== 'nats') throw new UsageError(`${name} is for the nats driver only (the driver is ${driver})`);
  const problem = inboxPrefixProblem(value);
  if (problem !== undefined) throw new UsageError(`${name} ${JSON.stringify(value)}: ${problem}`);
  if (buildSubjects(prefix).isOwnSubject(`${value}.x`)) throw new UsageError(`${name} ${JSON.stringify(value)}: is under the agents' own subjects, where no reply may go`);
  return value;
}

const NKEY_SEED_VARS = ['FSBUS_BROKER_NKEY_SEED', 'MOD_EVENT_AGENT_NKEY_SEED'];

/** The connection's options, credentials from the env; throws UsageError for an NKey seed that is none. */
export function connectOptions(c: Connection, env: NodeJS.ProcessEnv = process.env): ConnectOptions {
  const token = first(env, ['FSBUS_BROKER_TOKEN', 'MOD_EVENT_AGENT_TOKEN']);
  const nkeySeed = first(env, NKEY_SEED_VARS);
  // Only the NATS driver signs with it, when connecting: found there, it read as a broker problem.
  const badSeed = nkeySeed !== undefined && c.driver.toLowerCase() === 'nats' ? nkeySeedProblem(nkeySeed) : undefined;
  if (badSeed !== undefined) {
    const name = NKEY_SEED_VARS.find((n) => first(env, [n]) !== undefined)!;
    throw new UsageError(`${name} is not an NKey seed (${badSeed}): ${NKEY_SEED_FORM}`);
  }
  const user = first(env, ['FSBUS_BROKER_USER']);
  // The agent's names and aliases (packages/agent/src/config/load-config.ts): the same env works for both.
  const password = first(env, ['FSBUS_BROKER_PASSWORD', 'MOD_EVENT_AGENT_PASSWORD']);
  const credsFile = first(env, ['FSBUS_BROKER_CREDS']);
  if (credsFile !== undefined) {
    // As the agent refuses them: at connect they read as a broker problem (exit 3).
    if (c.driver.toLowerCase() !== 'nats') throw new UsageError(`FSBUS_BROKER_CREDS is for the nats driver only (the driver is ${c.driver})`);
    const others = (['FSBUS_BROKER_TOKEN', 'MOD_EVENT_AGENT_TOKEN', ...NKEY_SEED_VARS, 'FSBUS_BROKER_USER', 'FSBUS_BROKER_PASSWORD', 'MOD_EVENT_AGENT_PASSWORD'] as const).filter((n) => first(env, [n]) !== undefined);
    if (others.length > 0) throw new UsageError(`FSBUS_BROKER_CREDS cannot be combined with ${others.join(', ')}: a .creds file is the whole credential`);
    const problem = natsCredsFileProblem(credsFile);
    if (problem !== undefined) throw new UsageError(`FSBUS_BROKER_CREDS: ${problem}`);
  }
  const auth = {
    ...(credsFile === undefined ? {} : { credsFile }),
    ...(token === undefined ? {} : { token }),
    ...(nkeySeed === undefined ? {} : { nkeySeed }),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
  };
  return {
    driver: c.driver,
    servers: c.servers,
    name: 'fsbus-cli',
    connectTimeoutMs: connectWaitMs(c),
    ...(c.prefix === undefined ? {} : { prefix: c.prefix }),
    ...(c.inboxPrefix === undefined ? {} : { inboxPrefix: c.inboxPrefix }),
    ...(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }),
    ...(Object.keys(auth).length === 0 ? {} : { auth }),
    ...(c.tls === undefined ? {} : { tls: c.tls.options }),
  };
}

/** The broker connect wait: CONNECT_TIMEOUT_MS, or the --timeout / FSBUS_TIMEOUT_MS given when smaller. */
export function connectWaitMs(c: Pick<Connection, 'timeoutMs'>): number {
  return Math.min(CONNECT_TIMEOUT_MS, c.timeoutMs ?? CONNECT_TIMEOUT_MS);
}

/**
 * A connect that timed out says how long it was given and what set it (a script's --timeout, or
 * the CLI's own wait): `…: timeout (connect wait 500 ms, --timeout)`. Other errors are unchanged.
 */
function withConnectWait(err: unknown, c: Pick<Connection, 'timeoutMs' | 'timeoutFrom'>): unknown {
  if (!(err instanceof ClientError) || err.code !== ClientErrorCode.CONNECT || !/time(?:d ?)?out|ETIMEDOUT/i.test(err.message)) return err;
  const wait = connectWaitMs(c);
  const by = c.timeoutFrom !== undefined && wait === c.timeoutMs ? `, ${c.timeoutFrom}` : '';
  return new ClientError(err.code, `${err.message} (connect wait ${wait} ms${by})`, { cause: err.cause });
}

const HINTS: Readonly<Record<string, string>> = {
  // With no server given (the default loopback URL); connectHint names one that was.
  [ClientErrorCode.CONNECT]: 'is the broker running? start everything with `fsbus demo`, or pass --server / FSBUS_BROKER_URL',
  [ClientErrorCode.DISCONNECTED]: 'the broker connection was lost; check the broker and try again',
  // Without --node (nodeHint says it with one): on the shared lanes only agents with FreeSWITCH ready answer.
  [ClientErrorCode.NO_RESPONDERS]: "no agent is ready for this prefix: none running, none has FreeSWITCH ready (ESL down or refused), or all are cordoned (`fsbus uncordon <node>`): `fsbus status --all` shows each node's state",
  [ClientErrorCode.TIMEOUT]: 'no reply in time: raise --timeout, or check the agent and FreeSWITCH',
  [ClientErrorCode.BAD_REPLY]: 'something that is not an fsbus agent answered on this subject; check --prefix',
  [ClientErrorCode.STREAM]: 'no event stream: is the agent running with events.stream.enabled? check --stream/--prefix',
  [BusErrorCode.COMMAND_FAILED]: "FreeSWITCH refused the command; its output is shown above",
  [BusErrorCode.COMMAND_DENIED]: "the agent's denylist/allowlist refuses this command",
  [BusErrorCode.INVALID_ARGUMENT]: 'a field was refused; see --help for the expected values',
  // The agent's message carries FreeSWITCH's hangup cause (`Call origination failed: USER_BUSY`).
  [BusErrorCode.ORIGINATE_FAILED]:
    'FreeSWITCH could not place the call; the cause in the message says why (USER_BUSY, CALL_REJECTED: refused; NO_ANSWER: raise --ring-timeout; USER_NOT_REGISTERED, NO_ROUTE_DESTINATION: check the endpoint)',
  [BusErrorCode.FREESWITCH_UNAVAILABLE]: 'the agent is up but has no Event Socket connection to FreeSWITCH',
  [BusErrorCode.BUSY]: 'the agent has too many commands in flight; retry shortly',
  [BusErrorCode.TIMEOUT]: 'FreeSWITCH did not answer the agent in time',
  [BusErrorCode.NODE_UNAVAILABLE]: 'no agent serves that node: `fsbus status --all` lists the nodes',
  [BusErrorCode.SHUTTING_DOWN]: 'the agent is stopping; another node may take the request',
};

/** A command the agent cut off at its stop's deadline (drain_timeout_ms, shutdown_timeout_ms): FSBUS_ERR_BUS_TIMEOUT too. */
const STOPPING_TIMEOUT_HINT = 'the agent was stopping and cut the command off at its deadline: it may have run, check before sending it again (another node, or this one restarted, can take it)';

/** FSBUS_ERR_BUS_FREESWITCH_UNAVAILABLE for a command sent before the Event Socket connection went. */
const LOST_MID_COMMAND_HINT = "FreeSWITCH's connection was lost while the command ran: it may have run, check before sending it again (e.g. uuid_exists, the call's events)";

/** The hint for an agent's error reply: its code's, or, for a command that may have run (a timeout the agent's stop caused, FreeSWITCH lost under it), that one. */
function replyHint(err: ReplyError): string {
  if (err.code === BusErrorCode.TIMEOUT && err.message.startsWith('the agent stopped before ')) return STOPPING_TIMEOUT_HINT;
  if (err.code === BusErrorCode.FREESWITCH_UNAVAILABLE && err.message.endsWith('it may have run')) return LOST_MID_COMMAND_HINT;
  return HINTS[err.code] ?? 'see docs/errors.md for this code';
}

/**
 * A uuid the node does not have — FreeSWITCH's raw answer to an API (`uuid_getvar`, `api uuid_kill`…),
 * or the agent's FSBUS_ERR_BUS_SESSION_NOT_FOUND (hangup, execute_app): in a cluster, maybe another node's.
 */
export function noSuchChannel(err: unknown): err is ReplyError {
  if (!(err instanceof ReplyError)) return false;
  return err.code === BusErrorCode.SESSION_NOT_FOUND || (err.code === BusErrorCode.COMMAND_FAILED && typeof err.data === 'string' && /no such channel/i.test(err.data));
}

/** A command sent to any node found no such channel: it may live on another (a channel is on one node only). */
export const CHANNEL_ON_ANOTHER_NODE_HINT = 'the channel may be on another node: name it with --node <id> (`fsbus status --all` lists the nodes)';

const AUTH_HINT =
  'the broker refused the credentials: check FSBUS_BROKER_USER and FSBUS_BROKER_PASSWORD, FSBUS_BROKER_TOKEN or FSBUS_BROKER_NKEY_SEED (or their MOD_EVENT_AGENT_* aliases), or the .creds file FSBUS_BROKER_CREDS names';

/** The broker refused the credentials (NATS, MQTT, Redis, RabbitMQ and Kafka wordings), anywhere in the cause chain. */
export function isAuthFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (/authoriz|authenticat|not authorized|bad user ?name or password|NOAUTH|WRONGPASS|ACCESS_REFUSED|SASL/i.test(e.message)) return true;
  }
  return false;
}

const BROKER_REFUSED_HINT = "the broker refused it: check the broker's permissions (ACL) for this user on this subject; sending it again will not help";

const UNSUPPORTED_HINT = 'the bus cannot do this as the agent or driver is set up (the message says what to change); the command itself is fine, running it again will not help';

const DURABLE_TAKEN_HINT = 'a --durable name keeps the pattern it was first used with: pick another name for this pattern, or delete that consumer';

/**
 * A connect failure's hint: a server that was given is named (`fsbus demo` is no answer to a
 * broker of one's own); the demo is suggested only when none was (the default loopback URL).
 */
export function connectHint(connection: Pick<Connection, 'servers' | 'source' | 'from' | 'tls'> & { driver?: string }, err?: unknown): string | undefined {
  // A certificate the CLI could not verify: the broker runs, the CA setting is what to check.
  const tls = tlsVerifyHint(err, connection.tls, connection.driver ?? 'nats');
  if (tls !== undefined) return tls;
  if (connection.source === 'default') return undefined;
  // Any CONNECT error but a refused login (AUTH_HINT) or a TLS verify failure: refused, another protocol answering.
  const at = `could not connect to ${redact(connection.servers.join(','))}`;
  if (connection.source === 'demo') return `${at} (the running demo's broker): is the demo still running? \`fsbus demo\` starts another`;
  return `${at} (${connection.from ?? '--server'}): check that the broker runs there and the URL (host, port, scheme)`;
}

/**
 * No responders with --node: a node whose FreeSWITCH is not ready still answers on its own lane
 * (FREESWITCH_UNAVAILABLE), so nobody there is no agent of that id.
 */
export function nodeHint(node: string): string {
  return `no agent serves node ${terminalLine(node)} for this prefix: is it running? \`fsbus status --all\` lists the nodes`;
}

function hintFor(name: string, err: ClientError): string {
  if (err.code === ClientErrorCode.CONNECT && isAuthFailure(err)) return AUTH_HINT;
  // Refused by the client before it was sent: a usage error (exit 2) found late, said as one.
  if (err.code === ClientErrorCode.INVALID_ARGUMENT) return `the client refused a value before sending anything; see fsbus ${name} --help`;
  // The NATS driver's refusal of a durable name reused with another filter (nats-streams.ts).
  if (err.code === ClientErrorCode.STREAM && /durable consumer '[^']*' of stream \S+ reads /.test(err.message)) return DURABLE_TAKEN_HINT;
  return HINTS[err.code] ?? 'see docs/errors.md for this code';
}

/** Prints `fsbus <cmd>: CODE: message` and a hint (`hint` replaces the code's own); returns the exit code. */
export function reportError(name: string, err: unknown, io: CliIo, hint?: string): number {
  if (err instanceof UsageError) {
    io.err(`fsbus ${name}: ${err.message}; see fsbus ${name} --help`);
    return ExitCode.USAGE;
  }
  // Codes, messages, node ids and FreeSWITCH's output come from whoever answered: escaped (a
  // newline in them would forge a `hint:` line). The output keeps its lines.
  if (err instanceof ReplyError) {
    if (typeof err.data === 'string' && err.data.trim() !== '') io.err(terminalText(err.data.trimEnd()));
    io.err(terminalLine(`fsbus ${name}: ${err.code}: ${err.message} (node ${err.nodeId})`));
    io.err(`hint: ${hint ?? replyHint(err)}`);
    // The agent's own timeout is "no answer in time" as the client's is: which of the two comes
    // first, both waiting the same, is a race a script must not see.
    return err.code === BusErrorCode.TIMEOUT ? ExitCode.NO_ANSWER : ExitCode.FAILED;
  }
  if (err instanceof ClientError) {
    io.err(terminalLine(`fsbus ${name}: ${err.code}: ${err.message}`));
    io.err(`hint: ${hint ?? hintFor(name, err)}`);
    if (err.code === ClientErrorCode.CONNECT || err.code === ClientErrorCode.DISCONNECTED) return ExitCode.UNREACHABLE;
    if (err.code === ClientErrorCode.TIMEOUT || err.code === ClientErrorCode.NO_RESPONDERS) return ExitCode.NO_ANSWER;
    if (err.code === ClientErrorCode.INVALID_ARGUMENT) return ExitCode.USAGE;
    return ExitCode.FAILED;
  }
  // The SDK's request or gather the broker refused (an ACL, Redis out of memory): not a lost connection.
  // What the bus cannot do as set up (a ZeroMQ agent in mod_event_zmq mode): the command failed,
  // though nothing the user typed is wrong (not a usage error, exit 2).
  if (err instanceof TransportError && (err.code === TransportErrorCode.BROKER || err.code === TransportErrorCode.UNSUPPORTED)) {
    io.err(terminalLine(`fsbus ${name}: ${err.code}: ${err.message}`));
    io.err(`hint: ${hint ?? (err.code === TransportErrorCode.BROKER ? BROKER_REFUSED_HINT : UNSUPPORTED_HINT)}`);
    return ExitCode.FAILED;
  }
  io.err(terminalLine(`fsbus ${name}: ${err instanceof Error ? err.message : String(err)}`));
  return ExitCode.FAILED;
}

/**
 * With --json, what stdout gets for an error no agent sent (so no reply envelope to print):
 * `{"error":{"code":"FSBUS_ERR_…","message":"…"}}`, the same code and message as the stderr line.
 */
export function printErrorJson(io: CliIo, code: string, message: string): void {
  io.out(terminalJson({ error: { code, message } }));
}

export interface BusContext {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  bus: FsbusClient;
  io: CliIo;
  /**
   * Per-call options from the flags: `--node`, and `--timeout` / FSBUS_TIMEOUT_MS when given (it
   * then also bounds the commands whose default wait is longer: originate, api --bg).
   */
  call: CallOptions;
}

export interface BusCommandSpec {
  name: string;
  help: string;
  options?: ParseArgsConfig['options'];
  /** Checked before connecting, once the connection is resolved (its driver, prefix): throw UsageError for bad arguments. */
  check?: (values: BusContext['values'], positionals: string[], connection: Connection) => void;
  /** A hint better than the error code's own for this command and these arguments, if any. */
  hint?: (err: unknown, positionals: readonly string[]) => string | undefined;
  run(ctx: BusContext): Promise<number>;
}

/** Parses flags, connects, runs, reports, closes: the frame of every bus command. */
export async function runBusCommand(spec: BusCommandSpec, argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: BusContext['values'];
  let positionals: string[];
  let connection: Connection;
  let busOptions: ConnectOptions;
  const options = { ...GLOBAL_OPTIONS, ...(spec.options ?? {}) };
  try {
    ({ values, positionals } = parseArgs({ args: withNegativeValues(argv, options), options, strict: true, allowPositionals: true }));
    if (values['help'] === true) {
      io.out(spec.help);
      return ExitCode.OK;
    }
    connection = resolveConnection(values, env);
    // The client's own check, before connecting: its message is the usage line.
    nodeOption(str(values, 'node'), '--node');
    spec.check?.(values, positionals, connection);
    busOptions = connectOptions(connection, env);
    if (connection.note !== undefined) io.err(`fsbus ${spec.name}: ${connection.note}`);
  } catch (err) {
    io.err(`fsbus ${spec.name}: ${argumentProblem(err, options)}; see fsbus ${spec.name} --help`);
    return ExitCode.USAGE;
  }
  let bus: FsbusClient | undefined;
  try {
    bus = await connect(busOptions);
    const node = str(values, 'node');
    const call: CallOptions = { ...(node === undefined ? {} : { node }), ...(connection.timeoutMs === undefined ? {} : { timeoutMs: connection.timeoutMs }) };
    return await spec.run({ values, positionals, bus, io, call });
  } catch (caught) {
    const err = withConnectWait(caught, connection);
    // --json: a refusal is a reply too; stdout gets its envelope (the exit code still says it failed).
    // A client-side error (no answer in time, no agent, the broker away) gets an error document:
    // stdout is JSON whenever --json is given and something went wrong.
    if (values['json'] === true) {
      if (err instanceof ReplyError) io.out(terminalJson(err.reply));
      else if ((err instanceof ClientError || err instanceof TransportError) && err.code !== ClientErrorCode.INVALID_ARGUMENT) printErrorJson(io, err.code, err.message);
    }
    const anyNode = str(values, 'node') === undefined && noSuchChannel(err) ? CHANNEL_ON_ANOTHER_NODE_HINT : undefined;
    const unreachable = err instanceof ClientError && err.code === ClientErrorCode.CONNECT && !isAuthFailure(err) ? connectHint(connection, err) : undefined;
    const node = str(values, 'node');
    const noNode = node !== undefined && err instanceof ClientError && err.code === ClientErrorCode.NO_RESPONDERS ? nodeHint(node) : undefined;
    return reportError(spec.name, err, io, spec.hint?.(err, positionals) ?? anyNode ?? unreachable ?? noNode);
  } finally {
    await bus?.close().catch(() => undefined);
  }
}

/** --node as the client checks it (nodeOption), before connecting: blank, or longer than any agent's node id. */

export const str = (values: BusContext['values'], key: string): string | undefined => {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
};
