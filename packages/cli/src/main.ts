/**
 * The fsbus CLI entry: a small registry of subcommands, dispatched by the first argument.
 */
import { pathToFileURL } from 'node:url';
import type { CliCommand, CliIo } from './command.js';
import { agentCommand } from './commands/agent.js';
import { simCommand } from './commands/sim.js';

export const COMMANDS: readonly CliCommand[] = [agentCommand, simCommand];

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
