/** `fsbus status [--all]`: agent.status of one agent, or of every node (scatter-gather), as a table. */
import { terminalJson, terminalLine } from '@fsbus/contract';
import type { CliCommand } from '../command.js';
import { DEFAULT_TIMEOUT_MS } from '@fsbus/client';
import { ExitCode, globalHelp, runBusCommand, str, UsageError } from '../bus/global-options.js';
import { statusTable } from '../bus/format.js';
import { checkExpect, EXPECT_HELP, GATHER_DEFAULT_MS, parseExpect, reportMissing } from '../bus/expect.js';

const HELP = `usage: fsbus status [--all] [--node <id>] [--expect <n|ids>] [--json]

Shows agent.status: version, uptime, broker and Event Socket state, request and event counters.

options:
  --all           ask every node (broadcast); replies are gathered for --timeout (default
                  for --all: ${GATHER_DEFAULT_MS} ms) or until --expect nodes replied. A reply that
                  is not a status is named on stderr, the others printed, and the exit is 1
${EXPECT_HELP}
  --node <id>     ask this node
  --json          print JSON instead of a table

examples:
  fsbus status
  fsbus status --all
  fsbus status --all --expect 3 --json
  fsbus status --all --expect fs-a,fs-b,fs-c

${globalHelp(`reply timeout (env FSBUS_TIMEOUT_MS; default ${DEFAULT_TIMEOUT_MS}; --all: ${GATHER_DEFAULT_MS} of gathering)`)}`;

export const statusCommand: CliCommand = {
  help: HELP,
  run: (argv, io) =>
    runBusCommand(
      {
        name: 'status',
        help: HELP,
        options: { all: { type: 'boolean' }, node: { type: 'string' }, expect: { type: 'string' }, json: { type: 'boolean' } },
        check: (values, positionals) => {
          if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
          checkExpect(values);
        },
        async run({ values, bus, io: out }) {
          const node = str(values, 'node');
          const expect = parseExpect(str(values, 'expect'));
          const json = values['json'] === true;
          if (values['all'] !== true) {
            const one = await bus.status(node === undefined ? {} : { node });
            out.out(json ? terminalJson(one) : statusTable([one]));
            return ExitCode.OK;
          }
          const statuses = await bus.statusAll({
            // Gathering waits the whole window unless --expect is met: keep it short by default (an empty
            // FSBUS_TIMEOUT_MS is unset, as everywhere).
            ...(str(values, 'timeout') === undefined && (process.env['FSBUS_TIMEOUT_MS'] ?? '').trim() === '' ? { timeoutMs: GATHER_DEFAULT_MS } : {}),
            ...(expect === undefined ? {} : { expect }),
            ...(node === undefined ? {} : { node }),
          });
          const bad = statuses.badReplies;
          const failed = statuses.failures;
          if (statuses.length === 0 && bad.length === 0 && failed.length === 0) {
            out.err('fsbus status: no node replied\nhint: is `fsbus agent` running for this prefix? (--prefix, --server)');
            return ExitCode.NO_ANSWER;
          }
          // Said after the rest below: a script checking --expect gets exit 4, whatever else happened.
          const missing = (code: number): number => (reportMissing('status', statuses, expect, out) ? ExitCode.NO_ANSWER : code);
          if (statuses.length > 0) out.out(json ? terminalJson(statuses) : statusTable(statuses));
          // A node that answered with an error (busy, shutting down) is named, not left out; what
          // it said is whatever answered on the broadcast subject: escaped.
          for (const f of failed) out.err(terminalLine(`fsbus status: ${f.nodeId}: ${f.code}: ${f.message}`));
          if (bad.length === 0) return missing(failed.length === 0 ? ExitCode.OK : ExitCode.FAILED);
          // The nodes that did answer are shown; one that answered what cannot be read is a failure
          // to see, not to hide (scripts get exit 1).
          for (const b of bad) out.err(terminalLine(`fsbus status: ${b.error.code}: ${b.error.message}`));
          out.err(`hint: ${bad.length} of ${statuses.length + failed.length + bad.length} replies could not be read: is something other than an fsbus agent answering on ${bus.subjects.broadcast}, or an agent sending no full status?`);
          return missing(ExitCode.FAILED);
        },
      },
      argv,
      io,
    ),
};
