/**
 * The fsbus CLI entry: a small registry of subcommands, dispatched by the first argument.
 */
import { pathToFileURL } from 'node:url';
import type { CliCommand, CliIo } from './command.js';
import { agentCommand } from './commands/agent.js';
import { simCommand } from './commands/sim.js';
import { benchCommand } from './commands/bench.js';
import { apiCommand } from './commands/api.js';
import { originateCommand } from './commands/originate.js';
import { hangupCommand } from './commands/hangup.js';
import { eventsCommand } from './commands/events.js';
import { statusCommand } from './commands/status.js';
import { dialplanCommand } from './commands/dialplan.js';
import { demoCommand } from './commands/demo.js';
import { webCommand } from './commands/web.js';

export const COMMANDS: readonly CliCommand[] = [agentCommand, simCommand, benchCommand, demoCommand, apiCommand, originateCommand, hangupCommand, eventsCommand, statusCommand, dialplanCommand, webCommand];

const stdio: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['usage: fsbus <command> [options]', '', 'commands:', ...lines, '', 'fsbus <command> --help for its options'].join('\n');
}

/** Runs `fsbus <argv…>`; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`fsbus: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  return command.run(rest, io);
}

// Run when this file is the process entry (bin/fsbus.js without a build runs it through tsx).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
