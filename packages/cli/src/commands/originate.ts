/** `fsbus originate <endpoint> <extension|&app(args)>`: places a call through an agent. */
import { terminalJson, terminalLine } from '@fsbus/contract';
import { DEFAULT_LONG_TIMEOUT_MS, type OriginateOptions } from '@fsbus/client';
import type { CliCommand } from '../command.js';
import { ExitCode, globalHelp, runBusCommand, str, UsageError, type BusContext } from '../bus/global-options.js';

const HELP = `usage: fsbus originate <endpoint> <extension | &app(args)> [options]

Places a call and prints its uuid once FreeSWITCH accepted it.

options:
  --context <name>        dialplan context (default default)
  --dialplan <name>       dialplan type (default XML)
  --cid-name <name>       caller id name
  --cid-number <number>   caller id number
  --ring-timeout <s>      seconds to ring before giving up (FreeSWITCH's default: 60);
                          the command waits as long as FreeSWITCH may ring (a longer leg_timeout,
                          originate_retries and their sleeps counted) + 5 s, at least 30 s,
                          unless --timeout is given
  --var <name=value>      channel variable (repeatable)
  --uuid <uuid>           preset the call's uuid
  --node <id>             place it on this node (default: any agent)
  --async                 do not wait: print the uuid at once
  --json                  print {uuid, jobUuid, result, nodeId} as JSON (with requestedUuid
                          when the uuid asked for was in use; {uuid} alone with --async,
                          which waits for no reply); otherwise the uuid alone on stdout,
                          the node and result on stderr, so \`fsbus hangup $(fsbus originate …)\` works

examples:
  fsbus originate user/1000 9000
  fsbus originate loopback/7001 '&park()' --cid-number 5550100
  fsbus originate sofia/gateway/carrier/15551234567 '&playback(ivr/ivr-welcome.wav)' --node fs-01
  fsbus originate user/1000 7001 --var sip_h_X-Ticket=42 --async

${globalHelp('reply timeout (env FSBUS_TIMEOUT_MS; default: as long as FreeSWITCH may ring', `+ 5 s, at least ${DEFAULT_LONG_TIMEOUT_MS}, see --ring-timeout; --async waits for no reply)`)}`;

function parseVars(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--var must be name=value, got ${JSON.stringify(item)}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function options(values: BusContext['values'], positionals: string[]): OriginateOptions {
  const [endpoint, extension] = positionals as [string, string];
  const o: OriginateOptions = { endpoint, extension };
  const context = str(values, 'context');
  if (context !== undefined) o.context = context;
  const dialplan = str(values, 'dialplan');
  if (dialplan !== undefined) o.dialplan = dialplan;
  const name = str(values, 'cid-name');
  if (name !== undefined) o.callerIdName = name;
  const num = str(values, 'cid-number');
  if (num !== undefined) o.callerIdNumber = num;
  const ring = str(values, 'ring-timeout');
  if (ring !== undefined) {
    if (!/^\d+$/.test(ring)) throw new UsageError(`--ring-timeout must be whole seconds, got ${JSON.stringify(ring)}`);
    o.ringTimeoutS = Number(ring);
  }
  const vars = values['var'];
  if (Array.isArray(vars) && vars.length > 0) o.variables = parseVars(vars);
  const uuid = str(values, 'uuid');
  if (uuid !== undefined) o.uuid = uuid;
  return o;
}

export const originateCommand: CliCommand = {
  help: HELP,
  run: (argv, io) =>
    runBusCommand(
      {
        name: 'originate',
        help: HELP,
        options: {
          context: { type: 'string' },
          dialplan: { type: 'string' },
          'cid-name': { type: 'string' },
          'cid-number': { type: 'string' },
          'ring-timeout': { type: 'string' },
          var: { type: 'string', multiple: true },
          uuid: { type: 'string' },
          node: { type: 'string' },
          async: { type: 'boolean' },
          json: { type: 'boolean' },
        },
        check: (values, positionals) => {
          if (positionals.length !== 2) throw new UsageError('give an endpoint and an extension (or &app(args))');
          options(values, positionals);
        },
        async run({ values, positionals, bus, io: out, call }) {
          const o = options(values, positionals);
          if (values['async'] === true) {
            const { uuid } = await bus.originate({ ...o, async: true }, call);
            out.out(values['json'] === true ? terminalJson({ uuid }) : terminalLine(uuid));
            return ExitCode.OK;
          }
          // Said outright: options typed OriginateOptions may be async, whose result has no nodeId.
          const result = await bus.originate({ ...o, async: false }, call);
          if (values['json'] === true) {
            out.out(terminalJson(result));
            return ExitCode.OK;
          }
          // stdout carries the uuid only, so the output can be handed to the next command. All
          // three come from the agent's reply: escaped.
          out.out(terminalLine(result.uuid));
          out.err(terminalLine(`node ${result.nodeId}, ${result.result.trim()}`));
          return ExitCode.OK;
        },
      },
      argv,
      io,
    ),
};
