/** `fsbus agent [--config <file>]`: the agent daemon (@fsbus/agent), until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util';
import { AGENT_USAGE, runAgent } from '@fsbus/agent';
import type { CliCommand } from '../command.js';
import { argumentProblem } from '../bus/usage.js';

const AGENT_OPTIONS = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } as const;

export const agentCommand: CliCommand = {
  help: AGENT_USAGE,
  run: (argv, io) => {
    // A bad command line is one line with a guess, as for every other command (runAgent, for
    // callers of the library, prints its usage instead).
    try {
      parseArgs({ args: [...argv], options: AGENT_OPTIONS, strict: true });
    } catch (err) {
      io.err(`fsbus agent: ${argumentProblem(err, AGENT_OPTIONS)}; see fsbus agent --help`);
      return Promise.resolve(2);
    }
    return runAgent(argv, process.env, io);
  },
};
