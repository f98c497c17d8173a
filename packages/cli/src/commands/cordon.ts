/**
 * `fsbus cordon <node>` / `fsbus uncordon <node>`: the operator's drain for maintenance
 * (agent.cordon / agent.uncordon on the node's own lane, which names it: docs/agent.md "Shared
 * lanes and cordon"). No "any node" form: a cordon must land on the node meant.
 */
import { terminalJson, terminalLine } from '@fsbus/contract';
import { ClientError, ClientErrorCode, nodeOption } from '@fsbus/client';
import type { CliCommand } from '../command.js';
import { ExitCode, GLOBAL_HELP, nodeHint, runBusCommand, UsageError } from '../bus/global-options.js';

type Verb = 'cordon' | 'uncordon';

const HELP: Readonly<Record<Verb, string>> = {
  cordon: `usage: fsbus cordon <node> [--json]

Takes the node off the shared lanes (<prefix>.api, <prefix>.cmd.async.>) for maintenance: no
request for any node goes to it; its own lane (--node) and the broadcast (status --all) stay
served, and what it runs is finished. It stays cordoned, FreeSWITCH down or back, until
\`fsbus uncordon <node>\` or the agent restarts. \`fsbus status --all\` shows it as cordoned
(LANES); wait for its in-flight commands to end (\`fsbus status --node <node> --json\`:
counters.in_flight) before working on FreeSWITCH.

options:
  --json          print the reply envelope (data.shared_lanes: state and cordoned)

examples:
  fsbus cordon fs-01
  fsbus status --all
  fsbus uncordon fs-01

${GLOBAL_HELP}`,
  uncordon: `usage: fsbus uncordon <node> [--json]

Ends a cordon: the node serves the shared lanes again once (or as soon as) its FreeSWITCH is
ready. \`fsbus status --all\` shows LANES joined when it has.

options:
  --json          print the reply envelope (data.shared_lanes: state and cordoned)

examples:
  fsbus uncordon fs-01

${GLOBAL_HELP}`,
};

interface SharedLanes {
  state?: unknown;
  cordoned?: unknown;
}

/** The reply's `data.shared_lanes`, as far as it can be read (an agent from elsewhere may send less). */
function sharedLanes(data: unknown): SharedLanes {
  const value = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)['shared_lanes'] : undefined;
  return value !== null && typeof value === 'object' ? value : {};
}

/** `fs-01 cordoned: off the shared lanes (leaving), …` — what changed, from the reply. */
function changed(verb: Verb, node: string, lanes: SharedLanes): string[] {
  const state = typeof lanes.state === 'string' ? lanes.state : '?';
  if (verb === 'cordon') {
    return [`${node} cordoned: off the shared lanes (${state}), its own lane still served`, `\`fsbus status --all\` shows it cordoned; \`fsbus uncordon ${node}\` ends it`];
  }
  // Left with FreeSWITCH not ready: it joins once it is (said by status as `left`).
  const why = state === 'left' ? 'until FreeSWITCH is ready' : 'FreeSWITCH ready';
  return [`${node} uncordoned: shared lanes ${state} (${why})`];
}

function command(verb: Verb): CliCommand {
  const help = HELP[verb];
  return {
    help,
    run: (argv, io) =>
      runBusCommand(
        {
          name: verb,
          help,
          options: { json: { type: 'boolean' } },
          check: (_values, positionals) => {
            const [node, extra] = positionals;
            if (node === undefined) throw new UsageError(`give the node to ${verb}: fsbus ${verb} <node>`);
            if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
            nodeOption(node, 'node');
          },
          // No responders on a node's own lane: no agent serves that id (a cordoned node still answers there).
          hint: (err, positionals) => (err instanceof ClientError && err.code === ClientErrorCode.NO_RESPONDERS ? nodeHint(positionals[0] ?? '') : undefined),
          async run({ values, positionals, bus, io: out, call }) {
            const node = positionals[0]!;
            const reply = await bus.request(`agent.${verb}`, {}, { ...call, node });
            if (values['json'] === true) out.out(terminalJson(reply));
            // The node id and state are whatever answered on that lane: escaped.
            else for (const line of changed(verb, reply.node_id, sharedLanes(reply.data))) out.out(terminalLine(line));
            return ExitCode.OK;
          },
        },
        argv,
        io,
      ),
  };
}

export const cordonCommand = command('cordon');
export const uncordonCommand = command('uncordon');
