/**
 * The warnings a start gives: a configuration accepted that does not do what it seems to (a drain
 * cut short, a node id served under another spelling, the loss signals turned off, an allowlist
 * beside built-ins it does not limit), or an environment that misleads (a misspelt FSBUS_* name,
 * node_id's two names set apart, a launch through npm exec). One list, so that
 * `fsbus agent --check-config` says what a start would log.
 */
import { buildSubjects } from '@fsbus/contract';
import { allowlistBuiltinsWarning } from './allowlist-builtins.js';
import { nodeIdEnvConflict } from './load-config.js';
import { npmExecWarning } from './npm-exec.js';
import { ownEventsExcludedWarning } from './own-events.js';
import type { AgentConfig } from './schema.js';
import { shutdownBoundWarning } from './shutdown-bound.js';
import { unknownEnv, unknownEnvWarning } from './unknown-env.js';

export interface StartWarning {
  readonly message: string;
  /** The log line's fields. */
  readonly fields: Record<string, unknown>;
}

/** What the configuration gets wrong: Agent.start logs these, in a process of its own or not. */
export function configWarnings(config: AgentConfig): StartWarning[] {
  const out: StartWarning[] = [];
  // Accepted (the stop still answers every command), but the drain deadline is never reached.
  const bound = shutdownBoundWarning(config);
  if (bound !== undefined) out.push({ message: bound, fields: { shutdown_timeout_ms: config.shutdown_timeout_ms, drain_timeout_ms: config.commands.drain_timeout_ms } });
  if (config.node_id_configured !== undefined) {
    // Subjects and `node_id` carry the slug: a client naming the configured spelling gets no responders.
    const subject = buildSubjects(config.subject_prefix).node(config.node_id);
    out.push({
      message: `node_id '${config.node_id_configured}' is served as '${config.node_id}' (${subject}): requests to the configured spelling get no responders`,
      fields: { configured: config.node_id_configured, slug: config.node_id },
    });
  }
  // A consumer cannot learn of a loss the agent does not announce.
  const ownExcluded = ownEventsExcludedWarning(config);
  if (ownExcluded !== undefined) out.push(ownExcluded);
  // The allowlist governs FreeSWITCH verbs only.
  const builtins = allowlistBuiltinsWarning(config);
  if (builtins !== undefined) out.push(builtins);
  return out;
}

/**
 * What the environment gets wrong: runAgent logs these (the daemon reads it). `launch: false`
 * leaves out how the process was started (npm exec), which a check run by hand would only guess.
 */
export function envWarnings(env: Readonly<Record<string, string | undefined>>, { launch = true }: { launch?: boolean } = {}): StartWarning[] {
  const out: StartWarning[] = [];
  // A misspelt name is otherwise silently ignored (its setting left at the default).
  const unknown = unknownEnv(env);
  const unknownWarning = unknownEnvWarning(unknown);
  if (unknownWarning !== undefined) out.push({ message: unknownWarning, fields: { unknown_env: Object.fromEntries(unknown.map((u) => [u.name, u.didYouMean ?? null])) } });
  const npx = launch ? npmExecWarning(env) : undefined;
  if (npx !== undefined) out.push({ message: npx, fields: { npm_command: 'exec' } });
  // Both names of node_id set apart: the one ignored would otherwise be ignored without a word.
  const nodeIds = nodeIdEnvConflict(env);
  if (nodeIds !== undefined) out.push(nodeIds);
  return out;
}
