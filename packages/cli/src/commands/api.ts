/** `fsbus api <cmd> [args…]`: one FreeSWITCH API command over the bus, like `nats req`. */
import { BusErrorCode, terminalJson, terminalLine, terminalText } from '@fsbus/contract';
import { ReplyError } from '@fsbus/client';
import type { CliCommand } from '../command.js';
import { ExitCode, GLOBAL_HELP, runBusCommand, UsageError } from '../bus/global-options.js';

/**
 * Commands the contract reserves for the agent's own handlers: they take fields, not an argument
 * string, so `fsbus api <cmd> …` sends them something they refuse; these commands send the fields.
 */
const RESERVED: ReadonlyArray<readonly [test: (command: string) => boolean, use: string]> = [
  [(c) => c === 'originate', "`originate` is the agent's own command: use `fsbus originate <endpoint> <ext|&app(args)>` (see fsbus originate --help)"],
  [(c) => c === 'hangup', "`hangup` is the agent's own command: use `fsbus hangup <uuid> [cause]` (or `fsbus api uuid_kill <uuid> [cause]`)"],
  [(c) => c.startsWith('dialplan.'), '`dialplan.*` are the agent\'s own commands: use `fsbus dialplan <action>` (see fsbus dialplan --help)'],
];

function reservedHint(err: unknown, positionals: readonly string[]): string | undefined {
  const command = positionals[0];
  if (command === undefined || !(err instanceof ReplyError) || err.code !== BusErrorCode.INVALID_ARGUMENT) return undefined;
  return RESERVED.find(([test]) => test(command))?.[1];
}

const HELP = `usage: fsbus api <command> [args…] [--node <id>] [--bg] [--json]

Runs a FreeSWITCH API command through an agent and prints its output.

options:
  --node <id>    run it on this node (default: any agent)
  --bg           run it as bgapi (waits for the BACKGROUND_JOB result)
  --json         print the whole reply envelope as JSON

examples:
  fsbus api status
  fsbus api show channels as json --node fs-01
  fsbus api reloadxml --bg
  fsbus api agent.status --json

${GLOBAL_HELP}`;

export const apiCommand: CliCommand = {
  help: HELP,
  run: (argv, io) =>
    runBusCommand(
      {
        name: 'api',
        help: HELP,
        options: { node: { type: 'string' }, bg: { type: 'boolean' }, json: { type: 'boolean' } },
        check: (_v, positionals) => {
          if (positionals.length === 0) throw new UsageError('give the API command, e.g. `fsbus api status`');
        },
        hint: reservedHint,
        async run({ values, positionals, bus, io: out, call }) {
          const [command, ...rest] = positionals as [string, ...string[]];
          const fields: Record<string, unknown> = {};
          if (rest.length > 0) fields['args'] = rest.join(' ');
          if (values['bg'] === true) fields['bg'] = true;
          const reply = await bus.request(command, fields, call, values['bg'] === true ? 30_000 : undefined);
          // FreeSWITCH's output carries what callers chose (channel names, caller ids): its lines
          // are kept, its controls escaped.
          if (values['json'] === true) out.out(terminalJson(reply));
          else if (typeof reply.data === 'string') out.out(terminalText(reply.data.replace(/\n$/, '')));
          else if (reply.data !== undefined) out.out(terminalJson(reply.data, 2));
          else out.out(terminalLine(reply.message));
          return ExitCode.OK;
        },
      },
      argv,
      io,
    ),
};
