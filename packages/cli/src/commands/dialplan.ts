/** `fsbus dialplan <enable|disable|status|audio|autoanswer|timeout>`: the agent's park mode. */
import { terminalJson, terminalLine } from '@fsbus/contract';
import type { CliCommand } from '../command.js';
import { ExitCode, GLOBAL_HELP, runBusCommand, UsageError } from '../bus/global-options.js';
import { closest } from '../bus/usage.js';

const HELP = `usage: fsbus dialplan <action> [value] [--node <id>] [--json]

Controls park mode: the agent serves FreeSWITCH a dialplan that parks every call, so services
take the calls over the bus.

actions:
  enable | disable | status
  audio <silence|ringback|music> [music_class]
  autoanswer <on|off>
  timeout <seconds>

options:
  --node <id>     the node whose park mode to set or show (default: any one agent; in a cluster,
                  name it: park mode is each node's own)
  --json          print the reply envelope

examples:
  fsbus dialplan enable --node fs-01
  fsbus dialplan audio music moh
  fsbus dialplan autoanswer on
  fsbus dialplan status --json

${GLOBAL_HELP}`;

const ACTIONS = ['enable', 'disable', 'status', 'audio', 'autoanswer', 'timeout'] as const;
type Action = (typeof ACTIONS)[number];

function fieldsFor(action: Action, args: readonly string[]): Record<string, unknown> {
  const want = (min: number, max: number): void => {
    if (args.length < min || args.length > max) throw new UsageError(`dialplan ${action} takes ${min === max ? min : `${min}-${max}`} value(s)`);
  };
  switch (action) {
    case 'enable':
    case 'disable':
    case 'status':
      want(0, 0);
      return {};
    case 'audio':
      want(1, 2);
      return args[1] === undefined ? { mode: args[0] } : { mode: args[0], music_class: args[1] };
    case 'autoanswer': {
      want(1, 1);
      const v = args[0]!.toLowerCase();
      if (!['on', 'off', 'true', 'false'].includes(v)) throw new UsageError('autoanswer takes on or off');
      return { enabled: v === 'on' || v === 'true' };
    }
    case 'timeout':
      want(1, 1);
      if (!/^\d+$/.test(args[0]!)) throw new UsageError('timeout takes whole seconds');
      return { seconds: Number(args[0]) };
  }
}

export const dialplanCommand: CliCommand = {
  help: HELP,
  run: (argv, io) =>
    runBusCommand(
      {
        name: 'dialplan',
        help: HELP,
        options: { node: { type: 'string' }, json: { type: 'boolean' } },
        check: (_v, positionals) => {
          const [action, ...rest] = positionals;
          if (action === undefined) throw new UsageError(`give an action: ${ACTIONS.join(', ')}`);
          if (!(ACTIONS as readonly string[]).includes(action)) {
            const guess = closest(action, ACTIONS);
            throw new UsageError(`unknown action '${action}'${guess === undefined ? '' : ` (did you mean ${guess}?)`}: one of ${ACTIONS.join(', ')}`);
          }
          fieldsFor(action as Action, rest);
        },
        async run({ values, positionals, bus, io: out, call }) {
          const [action, ...rest] = positionals as [Action, ...string[]];
          const reply = await bus.request(`dialplan.${action}`, fieldsFor(action, rest), call);
          if (values['json'] === true) out.out(terminalJson(reply));
          else {
            out.out(terminalLine(`${reply.message} (node ${reply.node_id})`));
            if (reply.data !== undefined) out.out(terminalJson(reply.data, 2));
          }
          return ExitCode.OK;
        },
      },
      argv,
      io,
    ),
};
