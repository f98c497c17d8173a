/** `fsbus hangup <uuid> [cause]`: ends a call (uuid_kill) through an agent. */
import { BAD_CAUSE, BusErrorCode, channelUuidProblem, hangupCause, terminalJson, terminalLine } from '@fsbus/contract';
import { ClientErrorCode, DEFAULT_TIMEOUT_MS, ReplyError, type CallOptions, type FsbusClient } from '@fsbus/client';
import type { CliCommand } from '../command.js';
import { GATHER_DEFAULT_MS } from '../bus/expect.js';
import { ExitCode, globalHelp, printErrorJson, reportError, runBusCommand, UsageError, type BusContext } from '../bus/global-options.js';
import { findChannelNodes } from './channel-node.js';

/** A hangup that found nothing to hang up: the line every error has (code, message), a hint, exit 1; --json: the error document on stdout. */
function fail(io: BusContext['io'], json: boolean, code: BusErrorCode, message: string, hint: string): number {
  if (json) printErrorJson(io, code, message);
  // The uuid is the caller's, node ids the agents': escaped, as any text not of our making.
  io.err(terminalLine(`fsbus hangup: ${code}: ${message}`));
  io.err(terminalLine(`hint: ${hint}`));
  return ExitCode.FAILED;
}

const HELP = `usage: fsbus hangup <uuid> [cause] [--node <id>] [--json]

Hangs up a channel (uuid_kill). The cause defaults to NORMAL_CLEARING; any FreeSWITCH cause
name (any case: user_busy, CALL_REJECTED, ORIGINATOR_CANCEL …) or its number (17) is taken.

options:
  --node <id>    the node that has the channel (default: the node is looked up with uuid_exists,
                 asking any agent for --timeout (default ${GATHER_DEFAULT_MS} ms), then if it has not
                 the channel or did not answer in time, every node for --timeout again; the call is
                 hung up on the node that has it only.
                 None has it: exit 1, the nodes asked named; a node that could not tell (its
                 FreeSWITCH away…): its error, exit 1, nothing hung up)
  --json         print the reply envelope (a refusal's too; nothing hung up without a reply:
                 {"error":{"code","message"}})

examples:
  fsbus hangup 0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f
  fsbus hangup 0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f USER_BUSY --node fs-01

${globalHelp(`reply timeout (env FSBUS_TIMEOUT_MS; default ${DEFAULT_TIMEOUT_MS}; the lookup without`, `--node, any agent then every node: ${GATHER_DEFAULT_MS} each)`)}`;

export const hangupCommand: CliCommand = {
  help: HELP,
  run: (argv, io) =>
    runBusCommand(
      {
        name: 'hangup',
        help: HELP,
        options: { node: { type: 'string' }, json: { type: 'boolean' } },
        // The node named (or found) has no such channel: FreeSWITCH's uuid_kill said so.
        hint: (err, positionals) =>
          err instanceof ReplyError && err.code === BusErrorCode.SESSION_NOT_FOUND
            ? terminalLine(`node ${err.nodeId} has no channel ${positionals[0] ?? ''}: it ended, or it is on another node (without --node, fsbus hangup looks the node up)`)
            : undefined,
        check: (_v, positionals) => {
          if (positionals.length < 1 || positionals.length > 2) throw new UsageError('give the channel uuid and optionally a cause');
          // Checked here, as the agent would: the lookup puts it on every node's FreeSWITCH line.
          const problem = channelUuidProblem(positionals[0] ?? '');
          if (problem !== undefined) throw new UsageError(problem);
          // The agent's own check: a bad cause is said now, not after the lookup on every node.
          const cause = positionals[1];
          if (cause !== undefined && hangupCause(cause) === undefined) throw new UsageError(`${BAD_CAUSE}, not ${JSON.stringify(cause)}`);
        },
        async run({ values, positionals, bus, io: out, call }) {
          const [uuid, cause] = positionals as [string, string | undefined];
          const json = values['json'] === true;
          if (call.node !== undefined) {
            await hangup(bus, uuid, cause, call, out, json, false);
            return ExitCode.OK;
          }
          // Not uuid_kill on every node: each node without the call would count a failed request
          // (the status table, the dashboard, any alert on COMMAND_FAILED). Looked up first, then
          // hung up where it is only.
          const lookup = await findChannelNodes(bus, uuid, call);
          const { found, failed } = lookup;
          const absent = [...lookup.absent];
          const windowMs = call.timeoutMs ?? GATHER_DEFAULT_MS;
          const node = found[0];
          if (found.length > 1) {
            // Two calls given one uuid (`originate --uuid`): which one is meant is the operator's choice.
            return fail(out, json, BusErrorCode.COMMAND_FAILED, `channel ${uuid} is on ${found.length} nodes (${found.join(', ')})`, `name the one to hang up with --node <id>`);
          }
          if (node !== undefined) {
            await hangup(bus, uuid, cause, { ...call, node }, out, json, true);
            return ExitCode.OK;
          }
          // Nodes whose commands.allowlist leaves uuid_exists out cannot be asked: there the call is
          // hung up directly, node by node (a node without it counts that failure, as it must). One
          // that fails otherwise could not tell either: the others are still tried.
          const couldNotTell: Array<{ node: string; error: Error }> = failed.filter((r) => r.code !== BusErrorCode.COMMAND_DENIED).map((r) => ({ node: r.node_id, error: new ReplyError(r) }));
          for (const r of failed.filter((f) => f.code === BusErrorCode.COMMAND_DENIED)) {
            try {
              await hangup(bus, uuid, cause, { ...call, node: r.node_id }, out, json, true);
            } catch (err) {
              if (err instanceof ReplyError && err.code === BusErrorCode.SESSION_NOT_FOUND) absent.push(r.node_id);
              else if (err instanceof Error) couldNotTell.push({ node: r.node_id, error: err });
              else throw err;
              continue;
            }
            return ExitCode.OK;
          }
          const first = couldNotTell[0];
          if (first !== undefined) {
            // The call may be on a node that could not tell: nothing is hung up blindly there.
            const couldNot = couldNotTell.map((c) => c.node).join(', ');
            const have = absent.length === 0 ? '' : `${absent.join(', ')} ${absent.length === 1 ? 'has' : 'have'} no channel ${uuid}; `;
            const name = couldNotTell.length === 1 ? first.node : '<id>';
            if (json) {
              if (first.error instanceof ReplyError) out.out(terminalJson(first.error.reply));
              else printErrorJson(out, typeof (first.error as { code?: unknown }).code === 'string' ? String((first.error as { code?: unknown }).code) : BusErrorCode.COMMAND_FAILED, first.error.message);
            }
            return reportError('hangup', first.error, out, terminalLine(`${have}${couldNot} could not tell (the error above): the call may be there; once it answers, hang it up with --node ${name}`));
          }
          if (absent.length === 0) {
            // --json: nobody answered, the client's "no answer in time".
            if (json) printErrorJson(out, ClientErrorCode.TIMEOUT, `no node answered the lookup of channel ${uuid} in ${windowMs} ms`);
            out.err(`fsbus hangup: no node answered the lookup of channel ${terminalLine(uuid)} in ${windowMs} ms`);
            out.err('hint: is `fsbus agent` running for this prefix? (--prefix, --server); a slow node may need a longer --timeout');
            return ExitCode.NO_ANSWER;
          }
          // The agent's own code for a channel that is not there (its hangup's and execute_app's).
          return fail(
            out,
            json,
            BusErrorCode.SESSION_NOT_FOUND,
            `no node has channel ${uuid} (asked ${absent.join(', ')})`,
            `check the uuid; a node that did not answer in ${windowMs} ms was not asked: raise --timeout, or name it with --node <id> (\`fsbus status --all\` lists the nodes)`,
          );
        },
      },
      argv,
      io,
    ),
};

/** The hangup on a known node: `hung up <uuid>` (the node on stderr when it was looked up), or with --json the reply envelope. */
async function hangup(bus: FsbusClient, uuid: string, cause: string | undefined, call: CallOptions, io: BusContext['io'], json: boolean, sayNode: boolean): Promise<void> {
  // bus.request rather than bus.hangup: the same request, and its envelope for --json.
  const reply = await bus.request('hangup', cause === undefined ? { uuid } : { uuid, cause }, call);
  if (json) io.out(terminalJson(reply));
  else io.out(`hung up ${uuid}`);
  if (!json && sayNode) io.err(terminalLine(`(node ${reply.node_id})`));
}
