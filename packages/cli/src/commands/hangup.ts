/** `fsbus hangup <uuid> [cause]`: ends a call (uuid_kill) through an agent. */
import { terminalLine } from '@fsbus/contract';
import { DEFAULT_TIMEOUT_MS, ReplyError } from '@fsbus/client';
import type { CliCommand } from '../command.js';
import { GATHER_DEFAULT_MS } from '../bus/expect.js';
import { ExitCode, globalHelp, noSuchChannel, reportError, runBusCommand, UsageError } from '../bus/global-options.js';

const HELP = `usage: fsbus hangup <uuid> [cause] [--node <id>]

Hangs up a channel (uuid_kill). The cause defaults to NORMAL_CLEARING; any FreeSWITCH cause
name (any case: user_busy, CALL_REJECTED, ORIGINATOR_CANCEL …) or its number (17) is taken.

options:
  --node <id>    the node that has the channel (default: any agent; when that one has no such
                 channel, every node is asked for --timeout (default ${GATHER_DEFAULT_MS} ms) and
                 the one that has it hangs it up)

examples:
  fsbus hangup 0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f
  fsbus hangup 0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f USER_BUSY --node fs-01

${globalHelp(`reply timeout (env FSBUS_TIMEOUT_MS; default ${DEFAULT_TIMEOUT_MS}; the search of every node`, `without --node: ${GATHER_DEFAULT_MS} of gathering)`)}`;

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
          let notHere: ReplyError;
          try {
            await bus.hangup(uuid, cause, call);
            out.out(`hung up ${uuid}`);
            return ExitCode.OK;
          } catch (err) {
            if (call.node !== undefined || !noSuchChannel(err)) throw err;
            notHere = err;
          }
          // Any node was asked and has no such channel: in a cluster it may be another's. A uuid
          // lives on one node only, so asking every node hangs up that call and no other.
          const replies = await bus.gather('hangup', { fields: cause === undefined ? { uuid } : { uuid, cause }, timeoutMs: call.timeoutMs ?? GATHER_DEFAULT_MS });
          const done = replies.find((r) => r.success);
          if (done !== undefined) {
            out.out(`hung up ${uuid}`);
            out.err(terminalLine(`(node ${done.node_id})`));
            return ExitCode.OK;
          }
          // A node that failed otherwise (busy, FreeSWITCH away) may be the one with the call.
          const other = replies.find((r) => !noSuchChannel(new ReplyError(r)));
          if (other !== undefined) throw new ReplyError(other);
          const nodes = replies.length === 1 ? 'the 1 node' : `the ${replies.length} nodes`;
          return reportError('hangup', notHere, out, `${nodes} that answered in ${call.timeoutMs ?? GATHER_DEFAULT_MS} ms have no such channel: check the uuid; if its node did not answer in time, raise --timeout, or name it with --node <id> (\`fsbus status --all\` lists the nodes)`);
        },
      },
      argv,
      io,
    ),
};
