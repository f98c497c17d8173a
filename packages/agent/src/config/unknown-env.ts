/**
 * A misspelt variable is silently ignored (the ESL password's name cut short leaves it at ClueCon):
 * at start the agent names each `FSBUS_*` / `MOD_EVENT_AGENT_*` variable no fsbus component reads,
 * with the closest of its own (never another tool's: a test runner's variable is no hint to an operator). A warning, not a refusal: other fsbus tools read their own.
 * The fsbus CLI says the same before each command (`@fsbus/agent/env`: this file loads no schema).
 */
import { closestName } from './closest-name.js';
import { agentEnvNames } from './env-names.js';

/** The FSBUS_* variables of the fsbus CLI (bus commands, demo, web) besides the agent's it reads too. */
const CLI_ENV: readonly string[] = [
  'FSBUS_SERVERS', 'FSBUS_TIMEOUT_MS', 'FSBUS_INBOX_PREFIX', 'FSBUS_DEMO_STATE', 'FSBUS_NATS_SERVER',
  'FSBUS_WEB_USER', 'FSBUS_WEB_PASSWORD', 'FSBUS_WEB_TOKEN', 'FSBUS_WEB_ALLOWED_HOSTS',
];

/**
 * The FSBUS_* variables read by the other fsbus components (found with
 * `grep -rn FSBUS_ packages/*\/src scripts bench examples`; a test keeps this list in step).
 */
const OTHER_COMPONENTS_ENV: readonly string[] = [
  ...CLI_ENV,
  // testkit (broker binaries)
  'FSBUS_REDIS_SERVER', 'FSBUS_RABBITMQ_SERVER', 'FSBUS_MOSQUITTO', 'FSBUS_JAVA', 'FSBUS_KAFKA_LIB',
  // scripts, tests, benchmarks, examples
  'FSBUS_APT_PACKAGES', 'FSBUS_KAFKA_DATA_DIR', 'FSBUS_RUN_TESTS_DIR', 'FSBUS_TEST_CONCURRENCY', 'FSBUS_TEST_TIMEOUT_MS', 'FSBUS_HANG_REPORT_DIR',
  'FSBUS_CHROMIUM', 'FSBUS_FIXTURES_DIR', 'FSBUS_BENCH_MB', 'FSBUS_BENCH_QUIET', 'FSBUS_BENCH_BUILD_DIR', 'FSBUS_INTEROP_PYTHON',
];

/** Every FSBUS_* / MOD_EVENT_AGENT_* variable some fsbus component reads. */
export function knownEnvNames(): ReadonlySet<string> {
  return new Set([...agentEnvNames(), ...OTHER_COMPONENTS_ENV]);
}

export interface UnknownEnv {
  name: string;
  /** The closest known name, when one is close. */
  didYouMean?: string;
}

/**
 * The FSBUS_* / MOD_EVENT_AGENT_* names of `env` (any case) that no component reads. Names only:
 * values may be secrets. `reader`: whose names are suggested — the agent's own for the agent (its
 * operator has no use for a test runner's or the CLI's), the agent's and the CLI's for the CLI
 * (which reads many of the agent's).
 */
export function unknownEnv(env: Readonly<Record<string, string | undefined>>, { reader = 'agent' }: { reader?: 'agent' | 'cli' } = {}): UnknownEnv[] {
  const known = knownEnvNames();
  const own = reader === 'cli' ? [...agentEnvNames(), ...CLI_ENV] : agentEnvNames();
  return Object.keys(env)
    .filter((name) => /^(FSBUS|MOD_EVENT_AGENT)_/i.test(name) && !known.has(name))
    .sort()
    .map((name) => {
      const upper = name.toUpperCase();
      const close = sectionAdded(upper, own) ?? closestName(upper, own);
      return close === undefined ? { name } : { name, didYouMean: close };
    });
}

/**
 * The known name `name` is with a word of the config path added (`COMMANDS_` before
 * `DRAIN_TIMEOUT_MS`, where edits alone find `COMMAND_TIMEOUT_MS`): the longest known stem it
 * ends with, at least half of its own.
 */
function sectionAdded(name: string, known: readonly string[]): string | undefined {
  const prefix = /^(FSBUS|MOD_EVENT_AGENT)_/.exec(name)?.[0] ?? '';
  const stem = name.slice(prefix.length);
  let best: string | undefined;
  for (const k of known) {
    if (!k.startsWith(prefix)) continue;
    const kStem = k.slice(prefix.length);
    if (kStem.length * 2 >= stem.length && stem.endsWith(`_${kStem}`) && (best === undefined || k.length > best.length)) best = k;
  }
  return best;
}

/** One line for the log (or stderr), undefined when every name is known. */
export function unknownEnvWarning(unknown: readonly UnknownEnv[]): string | undefined {
  if (unknown.length === 0) return undefined;
  const names = unknown.map((u) => (u.didYouMean === undefined ? u.name : `${u.name} (did you mean ${u.didYouMean}?)`));
  return `unknown environment variables ignored (a misspelt name leaves its setting as it was): ${names.join(', ')}`;
}
