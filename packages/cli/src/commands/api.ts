/** `fsbus api <cmd> [args…]`: one FreeSWITCH API command over the bus, like `nats req`. */
import { BusErrorCode, terminalJson, terminalLine, terminalText, type ReplyEnvelope } from '@fsbus/contract';
import { DEFAULT_LONG_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, ReplyError } from '@fsbus/client';
import type { CliCommand, CliIo } from '../command.js';
import { checkExpect, EXPECT_HELP, GATHER_DEFAULT_MS, parseExpect, reportMissing, reportNoReply } from '../bus/expect.js';
import { ExitCode, globalHelp, reportError, runBusCommand, str, UsageError, type BusContext } from '../bus/global-options.js';

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

const HELP = `usage: fsbus api <command> [args…] [--node <id>] [--all [--expect <n|ids>]] [--bg] [--json]

Runs a FreeSWITCH API command through an agent and prints its output (the node that ran it
on stderr).

options:
  --node <id>    run it on this node (default: any agent)
  --all          run it on every node (broadcast): replies are gathered for --timeout (default
                 for --all: ${GATHER_DEFAULT_MS} ms), one block per node headed \`== <node> ==\`
                 (a failure: \`== <node>: <code>: <message> ==\`); exit 1 if a node failed
${EXPECT_HELP}
  --bg           run it as bgapi (waits for the BACKGROUND_JOB result; not with --all)
  --json         print the whole reply envelope as JSON (--all: an array of them)

examples:
  fsbus api status
  fsbus api show channels as json --node fs-01
  fsbus api reloadxml --bg
  fsbus api agent.status --json
  fsbus api show calls count --all --expect fs-a,fs-b

${globalHelp(`reply timeout (env FSBUS_TIMEOUT_MS; default ${DEFAULT_TIMEOUT_MS}; --bg: ${DEFAULT_LONG_TIMEOUT_MS};`, `--all: ${GATHER_DEFAULT_MS} of gathering)`)}`;

export const apiCommand: CliCommand = {
  help: HELP,
  run: (argv, io) =>
    runBusCommand(
      {
        name: 'api',
        help: HELP,
        options: { node: { type: 'string' }, bg: { type: 'boolean' }, json: { type: 'boolean' }, all: { type: 'boolean' }, expect: { type: 'string' } },
        check: (values, positionals) => {
          if (positionals.length === 0) throw new UsageError('give the API command, e.g. `fsbus api status`');
          if (values['all'] === true && values['bg'] === true) throw new UsageError('--bg and --all: one node at a time waits for a background job');
          checkExpect(values);
        },
        hint: reservedHint,
        async run({ values, positionals, bus, io: out, call }) {
          const [command, ...rest] = positionals as [string, ...string[]];
          const fields: Record<string, unknown> = {};
          if (rest.length > 0) fields['args'] = rest.join(' ');
          if (values['all'] === true) return runOnAll(command, fields, { values, bus, io: out, call });
          if (values['bg'] === true) fields['bg'] = true;
          const reply = await bus.request(command, fields, call, values['bg'] === true ? DEFAULT_LONG_TIMEOUT_MS : undefined);
          // FreeSWITCH's output carries what callers chose (channel names, caller ids): its lines
          // are kept, its controls escaped.
          if (values['json'] === true) out.out(terminalJson(reply));
          else if (typeof reply.data === 'string') out.out(terminalText(reply.data.replace(/\n$/, '')));
          else if (reply.data !== undefined) out.out(terminalJson(reply.data, 2));
          else out.out(terminalLine(reply.message));
          // Which node ran it: with several, the next command may need to name it (--node).
          if (values['json'] !== true) out.err(terminalLine(`(node ${reply.node_id})`));
          return ExitCode.OK;
        },
      },
      argv,
      io,
    ),
};

/** What a reply says, as printed: FreeSWITCH's output keeps its lines, its controls escaped. */
function printReply(reply: ReplyEnvelope, io: CliIo): void {
  if (typeof reply.data === 'string') {
    if (reply.data.trim() !== '') io.out(terminalText(reply.data.replace(/\n$/, '')));
  } else if (reply.data !== undefined) io.out(terminalJson(reply.data, 2));
  else if (reply.success) io.out(terminalLine(reply.message));
}

/** `--all`: every node runs it; one block per node, in node order. */
async function runOnAll(command: string, fields: Record<string, unknown>, { values, bus, io, call }: Pick<BusContext, 'values' | 'bus' | 'io' | 'call'>): Promise<number> {
  const expect = parseExpect(str(values, 'expect'));
  const windowMs = call.timeoutMs ?? GATHER_DEFAULT_MS;
  const replies = await bus.gather(command, {
    fields,
    timeoutMs: windowMs,
    ...(expect === undefined ? {} : { expect }),
    ...(call.node === undefined ? {} : { node: call.node }),
  });
  if (replies.length === 0 && replies.badReplies.length === 0) {
    // --json: an empty array, so `jq length` reads 0 rather than nothing.
    if (values['json'] === true) io.out('[]');
    reportNoReply('api', windowMs, io);
    return ExitCode.NO_ANSWER;
  }
  const sorted = [...replies].sort((a, b) => a.node_id.localeCompare(b.node_id));
  if (values['json'] === true) {
    io.out(terminalJson(sorted));
    // stdout is the JSON; each failure is still said on stderr with its hint, as without --all.
    for (const r of sorted) if (!r.success) reportError('api', new ReplyError(r), io, reservedHint(new ReplyError(r), [command]));
  } else {
    for (const r of sorted) {
      io.out(terminalLine(r.success ? `== ${r.node_id} ==` : `== ${r.node_id}: ${r.code ?? BusErrorCode.COMMAND_FAILED}: ${r.message} ==`));
      printReply(r, io);
    }
  }
  for (const b of replies.badReplies) io.err(terminalLine(`fsbus api: ${b.error.code}: ${b.error.message}`));
  if (reportMissing('api', replies, expect, io)) return ExitCode.NO_ANSWER;
  return sorted.every((r) => r.success) && replies.badReplies.length === 0 ? ExitCode.OK : ExitCode.FAILED;
}
