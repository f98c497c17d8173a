/**
 * A misspelt FSBUS_* variable is otherwise silently ignored (FSBUS_TIMEOUT_MS cut short leaves
 * the timeout at its default): each command says, before it runs, every FSBUS_* / MOD_EVENT_AGENT_*
 * name no fsbus component reads — the agent's own count as known — one stderr line each, with the
 * closest name the CLI or the agent reads. Names only: a value may be a secret.
 */
import { terminalLine } from '@fsbus/contract';
import { unknownEnv } from '@fsbus/agent/env';

export function unknownEnvLines(command: string, env: Readonly<Record<string, string | undefined>>): string[] {
  // Escaped: a variable's name is the environment's text, not ours.
  return unknownEnv(env, { reader: 'cli' }).map((u) =>
    terminalLine(`fsbus ${command}: warning: unknown environment variable ${u.name} ignored${u.didYouMean === undefined ? '' : ` (did you mean ${u.didYouMean}?)`}`),
  );
}
