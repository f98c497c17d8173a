/** `fsbus hangup <uuid> [cause]`: ends a call (uuid_kill) through an agent. */
import type { CliCommand } from '../command.js';
import { ExitCode, GLOBAL_HELP, runBusCommand, UsageError } from '../bus/global-options.js';

const HELP = `usage: fsbus hangup <uuid> [cause] [--node <id>]

Hangs up a channel (uuid_kill). The cause defaults to NORMAL_CLEARING; any FreeSWITCH cause
name (any case: user_busy, CALL_REJECTED, ORIGINATOR_CANCEL …) or its number (17) is taken.

options:
  --node <id>    the node that has the channel (default: any agent; a channel lives on one
                 node, so name it when there are several)

examples:
  fsbus hangup 0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f
  fsbus hangup 0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f USER_BUSY --node fs-01

${GLOBAL_HELP}`;

export const hangupCommand: CliCommand = {
  help: HELP,
  run: (argv, io) =>
    runBusCommand(
      {
        name: 'hangup',
        help: HELP,
        options: { node: { type: 'string' } },
        check: (_v, positionals) => {
          if (positionals.length < 1 || positionals.length > 2) throw new UsageError('give the channel uuid and optionally a cause');
        },
        async run({ positionals, bus, io: out, call }) {
          const [uuid, cause] = positionals as [string, string | undefined];
          await bus.hangup(uuid, cause, call);
          out.out(`hung up ${uuid}`);
          return ExitCode.OK;
        },
      },
      argv,
      io,
    ),
};
