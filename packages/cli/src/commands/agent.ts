/** `fsbus agent [--config <file>]`: the agent daemon (@fsbus/agent), until SIGINT/SIGTERM. */
import { AGENT_USAGE, runAgent } from '@fsbus/agent';
import type { CliCommand } from '../command.js';

export const agentCommand: CliCommand = {
  name: 'agent',
  summary: 'bridge a FreeSWITCH node to the message bus (mod_event_agent contract)',
  help: AGENT_USAGE,
  run: (argv, io) => runAgent(argv, process.env, io),
};
