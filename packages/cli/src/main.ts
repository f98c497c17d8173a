/**
 * The fsbus CLI entry: a small registry of subcommands, dispatched by the first argument.
 */
import { terminalLine } from '@fsbus/contract';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import type { CliCommandEntry, CliIo } from './command.js';
import { closest } from './bus/usage.js';
import { unknownEnvLines } from './env-warnings.js';

/**
 * Each subcommand's code loads when it runs: `fsbus agent` does not carry the simulator, the
 * dashboard or the SDK in its memory (≈20 MB of RSS when everything loaded at start).
 */
export const COMMANDS: readonly CliCommandEntry[] = [
  { name: 'agent', summary: 'bridge a FreeSWITCH node to the message bus (mod_event_agent contract)', load: async () => (await import('./commands/agent.js')).agentCommand },
  { name: 'sim', summary: 'run a FreeSWITCH simulator (Event Socket on 8021)', load: async () => (await import('./commands/sim.js')).simCommand },
  { name: 'bench', summary: 'run the benchmarks (fsbus vs its peers, side by side)', load: async () => (await import('./commands/bench.js')).benchCommand },
  { name: 'demo', summary: 'run nats-server, a simulated FreeSWITCH with calls, and the agent, on loopback', load: async () => (await import('./commands/demo.js')).demoCommand },
  { name: 'api', summary: 'run a FreeSWITCH API command through an agent (like nats req)', load: async () => (await import('./commands/api.js')).apiCommand },
  { name: 'originate', summary: 'place a call (prints its uuid)', load: async () => (await import('./commands/originate.js')).originateCommand },
  { name: 'hangup', summary: 'hang up a call by uuid', load: async () => (await import('./commands/hangup.js')).hangupCommand },
  { name: 'events', summary: 'print bus events as they come (like nats sub)', load: async () => (await import('./commands/events.js')).eventsCommand },
  { name: 'status', summary: 'show agent status; --all gathers every node into a table', load: async () => (await import('./commands/status.js')).statusCommand },
  { name: 'cordon', summary: 'take a node off the shared lanes for maintenance (its own lane still served)', load: async () => (await import('./commands/cordon.js')).cordonCommand },
  { name: 'uncordon', summary: 'end a cordon: the node serves the shared lanes again', load: async () => (await import('./commands/cordon.js')).uncordonCommand },
  { name: 'dialplan', summary: 'park mode: enable, disable, audio, autoanswer, timeout, status', load: async () => (await import('./commands/dialplan.js')).dialplanCommand },
  { name: 'web', summary: 'serve the live dashboard for every node on the bus (http://127.0.0.1:8080)', load: async () => (await import('./commands/web.js')).webCommand },
];

const stdio: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['usage: fsbus <command> [options]', '', 'commands:', ...lines, '', 'fsbus <command> --help (or fsbus help <command>) for its options'].join('\n');
}

/** The CLI's version, from its package.json. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Runs `fsbus <argv…>`; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // A usage error (exit 2, as documented): nothing to run.
    io.err(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    // `fsbus help status`: that command's help, as `fsbus status --help` prints it.
    const [topic, ...more] = rest;
    if (topic === undefined) {
      io.out(usage());
      return 0;
    }
    const named = COMMANDS.find((c) => c.name === topic);
    if (named === undefined || more.length > 0) {
      const guess = named === undefined ? closest(topic, COMMANDS.map((c) => c.name)) : undefined;
      const what = named === undefined ? `unknown command ${JSON.stringify(topic)}${guess === undefined ? '' : ` (did you mean ${guess}?)`}` : 'takes one command';
      io.err(terminalLine(`fsbus help: ${what}; fsbus --help lists the commands`));
      return 2;
    }
    io.out((await named.load()).help);
    return 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`fsbus ${version()}`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined && name.startsWith('-')) {
    // `fsbus -s nats://… status`: the options are the command's. Their values are not echoed (a
    // broker URL may carry a password); the names show where they go.
    const named = argv.find((a) => COMMANDS.some((c) => c.name === a));
    const flags = argv.slice(0, named === undefined ? argv.length : argv.indexOf(named)).filter((a) => a.startsWith('-')).map((a) => a.replace(/=.*$/s, ''));
    io.err(terminalLine(`fsbus: options go after the command: fsbus ${named ?? '<command>'} ${flags.join(' … ')} …; ${named === undefined ? 'fsbus --help lists the commands' : `see fsbus ${named} --help`}`));
    return 2;
  }
  if (command === undefined) {
    const guess = closest(name, COMMANDS.map((c) => c.name));
    io.err(`fsbus: unknown command ${JSON.stringify(name)}${guess === undefined ? '' : ` (did you mean ${guess}?)`}; fsbus --help lists the commands`);
    return 2;
  }
  if (io === stdio) guardOutput();
  const loaded = await command.load();
  // After `--` everything is the command's own (`fsbus api -- echo -h`).
  const end = rest.indexOf('--');
  const own = end < 0 ? rest : rest.slice(0, end);
  if (own.includes('--help') || own.includes('-h')) {
    io.out(loaded.help);
    return 0;
  }
  // Before it runs, on stderr (stdout and the exit code are the command's); `fsbus agent` says
  // them itself, in its start's log and in --check-config's warnings.
  if (name !== 'agent') for (const line of unknownEnvLines(name, process.env)) io.err(line);
  try {
    return await loaded.run(rest, io);
  } catch (err) {
    // A command reports what it expects; anything else still gets one line, not a stack trace.
    const code = (err as { code?: unknown }).code;
    // Escaped: such an error may quote what the bus or FreeSWITCH sent.
    io.err(terminalLine(`fsbus ${name}: ${typeof code === 'string' ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`));
    return 1;
  }
}

let outputGuarded = false;

/**
 * The process's own stdout/stderr failing (the reader of a pipe gone: `fsbus api … | head`; a full
 * disk) is an 'error' event that would otherwise crash with a stack trace. A reader gone ends the
 * command quietly; any other write failure is one line and exit 1. A command that handles it
 * itself (`events` stops its stream) keeps that.
 */
function guardOutput(): void {
  if (outputGuarded) return;
  outputGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (stream.listenerCount('error') > 1) return;
      if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      if (stream === process.stdout) process.stderr.write(`fsbus: cannot write the output: ${err.message}\n`);
      process.exit(1);
    });
  }
}

/**
 * Ends the process with `code`. A failed command leaves once its output is out: a library may
 * keep a handle open after a failure (nats.js kept the socket of a connect that timed out
 * before the server's INFO, now closed by the driver; any other such handle), which would otherwise hold
 * the process — and a service manager waiting for it to exit — forever. A successful command
 * ends when its work does.
 */
export async function finish(code: number): Promise<void> {
  process.exitCode = code;
  if (code === 0) return;
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
  process.exit(code);
}

/**
 * Under bin/fsbus.js's launcher (no build: this file through tsx), its IPC channel closes when the
 * launcher is gone, SIGKILL included: stop as on SIGTERM rather than run on orphaned. The channel
 * itself must not keep the process alive.
 */
function stopWithLauncher(): void {
  if (process.channel === undefined) return; // not started by the launcher
  // null: the channel closed before this ran (the launcher is gone already).
  if (process.channel === null) {
    process.kill(process.pid, 'SIGTERM');
    return;
  }
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

// Run when this file is the process entry (bin/fsbus.js without a build runs it through tsx).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  stopWithLauncher();
  await finish(await main(process.argv.slice(2)));
}
