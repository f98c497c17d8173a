/** `fsbus agent [--config <file>]`: the agent daemon (@fsbus/agent), until SIGINT/SIGTERM. */
import { AGENT_USAGE, runAgent } from '@fsbus/agent';
import type { CliCommand } from '../command.js';

export const agentCommand: CliCommand = {
  help: AGENT_USAGE,
  run: (argv, io) => runAgent(argv, process.env, io),
};
