/**
 * commands.allowlist governs FreeSWITCH verbs only (the generic API): the agent's built-in commands
 * stay allowed unless commands.denylist names them. By design (docs/agent.md), but an operator who
 * sets an allowlist of a few read-only verbs may take it for the whole policy while execute_app
 * still runs any dialplan application the denylist does not name (the `system` one too) and originate
 * any endpoint. Said once at start.
 */
import type { AgentConfig } from './schema.js';

/** The built-ins that run what the caller names: what an allowlist leaves open. */
const OPEN_BUILTINS = ['execute_app', 'originate'] as const;

/** The start warning for an allowlist beside execute_app / originate not denied, or undefined. */
export function allowlistBuiltinsWarning(config: Pick<AgentConfig, 'commands'>): { fields: Record<string, unknown>; message: string } | undefined {
  const { allowlist, denylist } = config.commands;
  if (allowlist.length === 0) return undefined;
  const denied = new Set(denylist.map((v) => v.trim().toLowerCase()));
  const notDenied = OPEN_BUILTINS.filter((b) => !denied.has(b));
  if (notDenied.length === 0) return undefined;
  return {
    fields: { not_denied: notDenied, allowlist },
    message:
      `commands.allowlist does not limit the built-in commands: ${notDenied.join(' and ')} still run whatever it lists ` +
      '(execute_app runs any dialplan application on a channel, the shell\'s `system` too, unless commands.denylist names it; originate calls any endpoint); ' +
      `name them in commands.denylist (FSBUS_API_DENYLIST) if the bus has no use for them`,
  };
}
