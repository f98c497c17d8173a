/**
 * `fsbus agent [--config <file>]`: the agent daemon (@fsbus/agent), until SIGINT/SIGTERM.
 * `--check-config`: the configuration loaded and checked as a start would, printed (secrets
 * masked) with the start warnings, and nothing connected to: an edited agent.yaml checked before
 * `systemctl restart`, instead of a restart watched for exit 78.
 */
import { parseArgs } from 'node:util';
import {
  AGENT_USAGE,
  ConfigError,
  configRefused,
  configWarnings,
  envWarnings,
  loadConfig,
  ParkStateFile,
  runAgent,
  type AgentConfig,
} from '@fsbus/agent';
import { redact } from '@fsbus/transport';
import type { CliCommand, CliIo } from '../command.js';
import { argumentProblem, withNegativeValues } from '../bus/usage.js';

const AGENT_OPTIONS = { config: { type: 'string', short: 'c' }, 'check-config': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** The library's usage (runAgent's), with the option only the CLI has. */
const AGENT_HELP = `usage: fsbus agent [--config <file.json|file.yaml>] [--check-config]${AGENT_USAGE.slice(AGENT_USAGE.indexOf('\n'))}

options:
  -c, --config <file>  the configuration file, JSON or YAML (default: none, the FSBUS_* env and
                       the defaults only)
  --check-config       load and check the configuration (the file and FSBUS_* env) as a start
                       would, print it with secrets masked (JSON, stdout) and the start warnings
                       (stderr), connect to nothing; exit 0 valid, 78 invalid (the start's
                       message), 2 usage
  -h, --help           this help`;

export const agentCommand: CliCommand = {
  help: AGENT_HELP,
  run: (argv, io) => {
    // A bad command line is one line with a guess, as for every other command (runAgent, for
    // callers of the library, prints its usage instead).
    let values: { config?: string | undefined; 'check-config'?: boolean | undefined; help?: boolean | undefined };
    // runAgent parses them again: given as read here (`-c -1.yaml` as `--config=-1.yaml`).
    const args = withNegativeValues(argv, AGENT_OPTIONS);
    try {
      ({ values } = parseArgs({ args, options: AGENT_OPTIONS, strict: true }));
    } catch (err) {
      io.err(`fsbus agent: ${argumentProblem(err, AGENT_OPTIONS)}; see fsbus agent --help`);
      return Promise.resolve(2);
    }
    if (values['check-config'] === true && values.help !== true) return checkConfig(values.config, process.env, io);
    return runAgent(args, process.env, io);
  },
};

async function checkConfig(file: string | undefined, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let config: AgentConfig;
  try {
    config = loadConfig({ ...(file === undefined ? {} : { file }), env });
    // The park state file, refused at start when unreadable or malformed: read, not written (the
    // check may run as another user than the service, whose file it would take over).
    if (config.dialplan.state_file !== undefined) await new ParkStateFile(config.dialplan.state_file).load();
  } catch (err) {
    // As runAgent says it, with the same exit code.
    if (err instanceof ConfigError) return configRefused(err, env, io);
    throw err;
  }
  io.out(JSON.stringify(masked(config), null, 2));
  // What a start would log, but how it was launched (npm exec), which a check by hand cannot tell.
  for (const w of [...envWarnings(env, { launch: false }), ...configWarnings(config)]) io.err(`fsbus agent: warning: ${w.message}`);
  io.err(`fsbus agent: configuration OK${file === undefined ? ' (env only)' : ` (${file} and env)`}; nothing was connected to`);
  return 0;
}

/** The config as printed: every secret `***` (the ESL password's default too), and no URL's user-info. */
function masked(config: AgentConfig): unknown {
  const secrets = Object.fromEntries(Object.entries(config.secrets).flatMap(([key, value]) => (value === undefined ? [] : [[key, '***']])));
  return withoutUserInfo({ ...config, secrets });
}

/** Every string through redact: a URL's credentials (FSBUS_BROKER_URL may carry them) never printed. */
function withoutUserInfo(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(withoutUserInfo);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutUserInfo(v)]));
  return value;
}
