/**
 * `npx fsbus agent` (npm exec) runs the agent under npm and a `sh -c`: a SIGTERM sent to npm's pid
 * alone — a supervisor that is not systemd, a script's `kill $!` — ends npm and the shell, which do
 * not pass it on, and leaves the agent running without a parent, serving on (npm 10/11, Debian's
 * dash). systemd signals every process of the unit and a terminal's Ctrl-C its whole group, so both
 * are fine; the warning says it for the rest.
 */

/** The start warning for an agent run by `npm exec`/`npx`, or undefined. */
export function npmExecWarning(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env['npm_command'] !== 'exec') return undefined;
  return 'started through npx (npm exec): a SIGTERM sent to npm alone does not reach this agent (npm and its shell do not pass it on) — under a supervisor run `node <fsbus>/packages/cli/bin/fsbus.js agent` instead (docs/deploy.md)';
}
