/**
 * `fsbus sim`: runs the FreeSWITCH simulator until SIGINT/SIGTERM. The first line printed is
 * machine-readable (`fsbus sim listening on <host>:<port>`), so scripts can use `--port 0`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { terminalLine } from '@fsbus/contract';
import { SimConfigError, Simulator, DEFAULT_HOST, DEFAULT_PASSWORD, DEFAULT_PORT, type SimulatorOptions } from '@fsbus/sim';
import type { CliCommand, CliIo } from '../command.js';
import { argumentProblem, withNegativeValues } from '../bus/usage.js';

const HELP = `usage: fsbus sim [options]

Runs a FreeSWITCH simulator that speaks the Event Socket protocol.

options:
  --host <ip>              listen address (default ${DEFAULT_HOST})
  --port <port>            Event Socket port, 0 = any free port (default ${DEFAULT_PORT})
  --password <pw>          auth password (default ${DEFAULT_PASSWORD})
  --xml-curl-url <url>     mod_xml_curl dialplan URL (falls back to the static dialplan)
  --node-name <name>       FreeSWITCH-Hostname / Switchname (default: this host's name)
  --outbound <host:port>   where the socket application connects (instead of the dialplan's target)
  --control-port <port>    control HTTP API on 127.0.0.1, 0 = any free port (default: off)
  --acl <cidr,...>         addresses allowed to connect (default: loopback only)
  --dialplan <file.json>   static dialplan: {"<context>": [{"name", "conditions": [{"field"?,
                           "expression"?, "actions": [{"application", "data"?}], "antiActions"?}],
                           "continue"?}]} (default: the built-in 7001..7009 extensions)
  --playback-ms <n>        how long a played file lasts, in ms (default 1000)
  --gateway <name>[=<proxy>]
                           a mod_sofia gateway (external profile, not registering) that
                           sofia/gateway/<name>/<number> dials; <proxy> is host[:port] or a sip: URI
                           (default: the name). Repeatable. Other gateways fail INVALID_GATEWAY
  -h, --help               this help

The first line printed is "fsbus sim listening on <host>:<port>".`;

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new Error(`${what} must be a port number (0-65535), got ${JSON.stringify(text)}`);
  return n;
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks the shape SimulatorOptions.dialplan takes (StaticDialplan); the message names where it is wrong. */
function dialplanProblem(value: Json): string | undefined {
  if (!isObject(value)) return 'must be an object of contexts';
  const optionalString = (o: Record<string, Json>, k: string): boolean => o[k] === undefined || typeof o[k] === 'string';
  const actionsProblem = (list: Json, where: string): string | undefined => {
    if (!Array.isArray(list)) return `${where} must be an array`;
    for (const [i, a] of list.entries()) {
      if (!isObject(a) || typeof a['application'] !== 'string' || !optionalString(a, 'data')) return `${where}[${i}] must be {"application": string, "data"?: string}`;
    }
    return undefined;
  };
  for (const [context, extensions] of Object.entries(value)) {
    if (!Array.isArray(extensions)) return `context ${JSON.stringify(context)} must be an array of extensions`;
    for (const [i, ext] of extensions.entries()) {
      const at = `${context}[${i}]`;
      if (!isObject(ext) || typeof ext['name'] !== 'string' || !Array.isArray(ext['conditions'])) return `${at} must be {"name": string, "conditions": [...]}`;
      if (ext['continue'] !== undefined && typeof ext['continue'] !== 'boolean') return `${at}.continue must be true or false`;
      for (const [j, cond] of ext['conditions'].entries()) {
        const where = `${at}.conditions[${j}]`;
        if (!isObject(cond) || !optionalString(cond, 'field') || !optionalString(cond, 'expression')) return `${where} must be {"field"?: string, "expression"?: string, "actions": [...]}`;
        const problem = actionsProblem(cond['actions'], `${where}.actions`) ?? (cond['antiActions'] === undefined ? undefined : actionsProblem(cond['antiActions'], `${where}.antiActions`));
        if (problem !== undefined) return problem;
        try {
          new RegExp(typeof cond['expression'] === 'string' ? cond['expression'] : '');
        } catch (err) {
          return `${where}.expression: ${(err as Error).message}`;
        }
      }
    }
  }
  return undefined;
}

function readDialplan(file: string): NonNullable<SimulatorOptions['dialplan']> {
  let value: Json;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const message = String(e.message);
    // node's read errors begin with their code already (`ENOENT: no such file…`). JSON.parse's
    // quotes the file, newlines included: escaped, the usage error stays one line.
    const kind = typeof e.code !== 'string' ? 'not JSON: ' : message.startsWith(`${e.code}:`) ? '' : `${e.code}: `;
    throw new Error(terminalLine(`--dialplan ${file}: ${kind}${message}`));
  }
  const problem = dialplanProblem(value);
  if (problem !== undefined) throw new Error(`--dialplan ${file}: ${problem}`);
  return value as NonNullable<SimulatorOptions['dialplan']>;
}

/**
 * `--gateway <name>[=<proxy>]` values as SimulatorOptions.gateways; the simulator checks the
 * characters of each (SimConfigError). A name given twice is refused here: the option would keep
 * the first silently, as mod_sofia does, and the second's proxy would be lost without a word.
 */
function gatewaysFrom(list: readonly string[]): NonNullable<SimulatorOptions['gateways']> {
  const out: Array<{ name: string; proxy?: string }> = [];
  for (const text of list) {
    if (text.trim() === '') throw new Error('--gateway must not be empty');
    const eq = text.indexOf('=');
    const name = eq < 0 ? text : text.slice(0, eq);
    const proxy = eq < 0 ? undefined : text.slice(eq + 1);
    if (name === '' || proxy === '') throw new Error(`--gateway must be <name>[=<proxy>], got ${JSON.stringify(text)}`);
    if (out.some((g) => g.name === name)) throw new Error(`--gateway ${name} is given twice`);
    out.push(proxy === undefined ? { name } : { name, proxy });
  }
  return out;
}

function optionsFrom(values: Record<string, string | boolean | string[] | undefined>): SimulatorOptions {
  const get = (k: string): string | undefined => {
    const v = values[k];
    if (typeof v !== 'string') return undefined;
    // An empty value is a mistake (an unset shell variable), not "no password" or "no name".
    if (v.trim() === '') throw new Error(`--${k} must not be empty`);
    return v;
  };
  const opts: SimulatorOptions = {};
  const p = get('port');
  if (p !== undefined) opts.port = port(p, '--port');
  const cp = get('control-port');
  if (cp !== undefined) opts.controlPort = port(cp, '--control-port');
  const host = get('host');
  if (host !== undefined) opts.host = host;
  const password = get('password');
  if (password !== undefined) opts.password = password;
  const url = get('xml-curl-url');
  if (url !== undefined && !/^https?:\/\/[^\s/]+/i.test(url)) throw new Error(`--xml-curl-url must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
  if (url !== undefined) opts.xmlCurlUrl = url;
  const node = get('node-name');
  if (node !== undefined) opts.nodeName = node;
  const outbound = get('outbound');
  if (outbound !== undefined) opts.outbound = outbound;
  const acl = get('acl');
  if (acl !== undefined) opts.acl = acl.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const dialplan = get('dialplan');
  if (dialplan !== undefined) opts.dialplan = readDialplan(dialplan);
  const playbackMs = get('playback-ms');
  if (playbackMs !== undefined) {
    if (!/^\d+$/.test(playbackMs) || !Number.isSafeInteger(Number(playbackMs))) throw new Error(`--playback-ms must be a number of milliseconds (0 or more), got ${JSON.stringify(playbackMs)}`);
    opts.playbackFileMs = Number(playbackMs);
  }
  const gateways = values['gateway'];
  if (Array.isArray(gateways)) opts.gateways = gatewaysFrom(gateways);
  return opts;
}

const SIM_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  password: { type: 'string' },
  'xml-curl-url': { type: 'string' },
  'node-name': { type: 'string' },
  outbound: { type: 'string' },
  'control-port': { type: 'string' },
  acl: { type: 'string' },
  dialplan: { type: 'string' },
  'playback-ms': { type: 'string' },
  gateway: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  let options: SimulatorOptions;
  try {
    ({ values } = parseArgs({
      args: withNegativeValues(argv, SIM_OPTIONS),
      options: SIM_OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
    if (values['help'] === true) {
      io.out(HELP);
      return 0;
    }
    options = optionsFrom(values);
  } catch (err) {
    io.err(`fsbus sim: ${argumentProblem(err, SIM_OPTIONS)}; see fsbus sim --help`);
    return 2;
  }

  let sim: Simulator;
  try {
    sim = new Simulator(options); // checks --acl, --outbound, --gateway, … (SimConfigError)
  } catch (err) {
    if (!(err instanceof SimConfigError)) throw err;
    io.err(`fsbus sim: ${err.message}; see fsbus sim --help`);
    return 2;
  }
  let address;
  try {
    address = await sim.start();
  } catch (err) {
    io.err(`fsbus sim: ${err instanceof Error ? err.message : String(err)}`);
    await sim.stop().catch(() => undefined);
    return 1;
  }
  // Listening for the signals before saying so: whoever waits for the line may stop it at once.
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  io.out(`fsbus sim listening on ${address.host}:${address.port}`);
  if (address.controlPort !== undefined) io.out(`fsbus sim control on http://127.0.0.1:${address.controlPort}`);
  await stopped;
  await sim.stop();
  io.out('fsbus sim stopped');
  return 0;
}

export const simCommand: CliCommand = { help: HELP, run };
