/**
 * Config = file (JSON or YAML) overlaid by env (env wins). Secrets come from env only: a file that
 * carries one is refused (an empty one carries none and counts as absent). `MOD_EVENT_AGENT_*`
 * names are accepted where mod_event_agent had them.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MAX_NODE_ID_LENGTH, sanitizePrefix, slugNodeId } from '@fsbus/contract';
import { ConfigError } from '../errors.js';
import { cutUserInfo, natsCredsFileProblem, NKEY_SEED_FORM, nkeySeedProblem, pemCertificatesProblem } from '@fsbus/transport';
import { configSchema, type AgentConfig, type AgentSecrets } from './schema.js';
import { unknownKeysProblem } from './unknown-key.js';
import { ENV_MAP, SECRETS } from './env-names.js';

export { agentEnvNames, ENV_MAP } from './env-names.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** Path of a .json, .yaml or .yml file. */
  file?: string;
  /** Already-parsed file contents (tests, embedding). */
  values?: unknown;
  /** @default process.env */
  env?: Env;
}

export function loadConfig(options: LoadConfigOptions = {}): AgentConfig {
  const env = options.env ?? process.env;
  const raw = options.values !== undefined ? structuredClone(options.values) : options.file !== undefined ? readConfigFile(options.file) : {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('(file)', 'must be an object');
  const data = raw as Record<string, unknown>;

  for (const [, names, fields] of SECRETS) {
    for (const field of fields) {
      const value = getPath(data, field);
      // mod_event_agent's reference config keeps `<param name="token" value=""/>`: no secret in it.
      if (value === '' || value === null) deletePath(data, field);
      else if (value !== undefined) throw new ConfigError(field, `secrets are read from the environment only (set ${names[0]})`);
    }
  }
  assertNoUrlCredentials(getPath(data, 'broker.urls'));
  const fromEnv = new Map<string, string>();
  for (const [path, names] of ENV_MAP) {
    const name = names.find((n) => env[n] !== undefined && env[n] !== '');
    if (name === undefined) continue;
    // Empty counts as unset; blank is a mistake (a blank number would read as 0, e.g. port 0).
    if (env[name]!.trim() === '') throw new ConfigError(name, 'is blank (unset it or give a value)');
    setPath(data, path, env[name]!);
    fromEnv.set(path, name);
  }

  const result = configSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    // Only the file has keys of its own (env vars map onto known ones).
    if (issue.code === 'unrecognized_keys') throw new ConfigError(...unknownKeysProblem(configSchema, issue.path, issue.keys));
    const path = issue.path.map(String).join('.');
    // Name the env var when the bad value came from one: that is what the operator must fix.
    const envName = [...fromEnv].find(([p]) => path === p || path.startsWith(`${p}.`))?.[1];
    throw new ConfigError(envName ?? (path === '' ? '(root)' : path), issue.message);
  }
  const parsed = result.data;
  assertTlsFilesReadable(parsed.broker.tls, fromEnv);
  const secrets: AgentSecrets = { eslPassword: 'ClueCon' };
  const secretsFrom = new Map<keyof AgentSecrets, string>();
  for (const [key, names] of SECRETS) {
    const name = names.find((n) => env[n] !== undefined && env[n] !== '');
    if (name === undefined) continue;
    secrets[key] = env[name]!;
    secretsFrom.set(key, name);
  }
  // Only the NATS driver signs with the seed, when connecting: a malformed one (the user's public
  // key `U…` pasted for its seed `SU…`) failed there as exit 1, restarted forever by systemd.
  const seedFrom = secretsFrom.get('brokerNkeySeed');
  const badSeed = seedFrom !== undefined && parsed.driver === 'nats' ? nkeySeedProblem(secrets.brokerNkeySeed!) : undefined;
  if (badSeed !== undefined) {
    throw new ConfigError(seedFrom!, `is not an NKey seed (${badSeed}): ${NKEY_SEED_FORM}`);
  }
  // A .creds file is the whole credential (nats.js would send the others besides, the server read
  // only the JWT); one the agent cannot sign in with would fail every connect (exit 1, restarted).
  if (parsed.broker.creds_file !== undefined) {
    const field = fromEnv.get('broker.creds_file') ?? 'broker.creds_file';
    const others = [...secretsFrom.entries()].filter(([k]) => k === 'brokerToken' || k === 'brokerNkeySeed' || k === 'brokerPassword').map(([, name]) => name);
    if (parsed.broker.user !== undefined && parsed.broker.user !== '') others.push(fromEnv.get('broker.user') ?? 'broker.user');
    if (others.length > 0) throw new ConfigError(field, `cannot be combined with ${others.join(', ')}: a .creds file is the whole credential (unset the others)`);
    const problem = natsCredsFileProblem(parsed.broker.creds_file);
    if (problem !== undefined) throw new ConfigError(field, problem);
  }
  // A user without its password only reaches the broker to be refused ("Authorization Violation").
  // No pair the other way: a password alone is Redis's `requirepass`. MQTT's CONNECT may carry a
  // user name alone (a broker's ACLs by name), so there it is no mistake.
  if (parsed.broker.user !== undefined && parsed.broker.user !== '' && secrets.brokerPassword === undefined && parsed.driver !== 'mqtt') {
    throw new ConfigError('FSBUS_BROKER_PASSWORD', `is not set, and ${fromEnv.get('broker.user') ?? 'broker.user'} is: a broker user needs its password (or unset the user)`);
  }
  // The other way on MQTT: mqtt.js sends a password (a token is sent as one) only beside a user
  // name; without it every connect fails as "connection closed", so it is refused here.
  if (parsed.driver === 'mqtt' && (parsed.broker.user === undefined || parsed.broker.user === '')) {
    const alone = secrets.brokerToken !== undefined ? 'brokerToken' : secrets.brokerPassword !== undefined ? 'brokerPassword' : undefined;
    if (alone !== undefined) {
      throw new ConfigError(secretsFrom.get(alone) ?? (alone === 'brokerToken' ? 'broker.token' : 'broker.password'), `is set and broker.user is not: on MQTT a ${alone === 'brokerToken' ? 'token (sent as the password)' : 'password'} needs a user name, the MQTT client (mqtt.js) sends a password only beside one (set broker.user, FSBUS_BROKER_USER)`);
    }
  }
  if ((parsed.dialplan.user === undefined) !== (secrets.dialplanPassword === undefined)) {
    throw new ConfigError(parsed.dialplan.user === undefined ? 'dialplan.user' : 'FSBUS_DIALPLAN_PASSWORD', 'dialplan basic auth needs both dialplan.user and FSBUS_DIALPLAN_PASSWORD');
  }
  const nodeId = slugNodeId(parsed.node_id ?? hostname());
  if (nodeId === '') throw new ConfigError('node_id', 'must not be empty');
  // The schema bounds node_id as written, not its slug, which lowercasing can lengthen (`İ` → `i` +
  // U+0307): the bound holds for the slug, the subjects' tail. The host name is not bounded at all.
  if (nodeId.length > MAX_NODE_ID_LENGTH) {
    throw new ConfigError(
      'node_id',
      parsed.node_id === undefined
        ? `the host name is longer than ${MAX_NODE_ID_LENGTH} characters: set node_id`
        : `must be at most ${MAX_NODE_ID_LENGTH} characters once slugified (lowercased: its slug has ${nodeId.length})`,
    );
  }
  // Kept for the start warning: clients still using the spelling they configured get no responders.
  const configured = parsed.node_id !== undefined && parsed.node_id !== nodeId ? { node_id_configured: parsed.node_id } : {};
  const eslPasswordEnv = secretsFrom.get('eslPassword');
  return {
    ...parsed,
    node_id: nodeId,
    ...configured,
    subject_prefix: sanitizePrefix(parsed.subject_prefix),
    secrets,
    ...(eslPasswordEnv === undefined ? {} : { esl_password_env: eslPasswordEnv }),
  };
}

/**
 * The broker's TLS files are read at load: one missing or unreadable, or a CA or certificate file
 * holding no PEM certificate, is a config error naming the field (or its env var), not a driver
 * that fails to start with a bare ENOENT or every connect failing as "self-signed".
 */
function assertTlsFilesReadable(tls: AgentConfig['broker']['tls'], fromEnv: ReadonlyMap<string, string>): void {
  if (typeof tls !== 'object') return;
  for (const key of ['ca_file', 'cert_file', 'key_file'] as const) {
    const file = tls[key];
    if (file === undefined) continue;
    const path = `broker.tls.${key}`;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(fromEnv.get(path) ?? path, `cannot read ${file} (${why})`);
    }
    const problem = key === 'key_file' ? undefined : pemCertificatesProblem(text);
    if (problem !== undefined) throw new ConfigError(fromEnv.get(path) ?? path, `${file} ${problem}`);
  }
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${file}: ${(err as Error).message}`);
  }
  const ext = extname(file).toLowerCase();
  // .yaml/.yml are YAML, anything else JSON: the message names the parser that ran.
  const yaml = ext === '.yaml' || ext === '.yml';
  // JSON and YAML config cannot start with `<`: an XML file is mod_event_agent's, not a typo.
  if (/^\uFEFF?\s*</.test(text)) throw xmlConfigError(file);
  try {
    return yaml ? (parseYaml(text) as unknown) ?? {} : (JSON.parse(text) as unknown);
  } catch (err) {
    if (text.includes('<configuration')) throw xmlConfigError(file);
    throw new ConfigError('--config', `${file} is not valid ${yaml ? 'YAML' : `JSON (read as JSON: only .yaml and .yml files are read as YAML)`}: ${(err as Error).message}`);
  }
}

/** The step is named by its words, not its number: numbers drift when a step is added (a test keeps the name in step with the guide). */
function xmlConfigError(file: string): ConfigError {
  return new ConfigError(
    '--config',
    `${file} is mod_event_agent's XML configuration: the agent reads JSON or YAML; map its params to a JSON or YAML file (or to env), see docs/migrating-from-mod_event_agent.md, "Moving over", the step "Map the XML params"`,
  );
}

/**
 * `nats://user:secret@host`, `amqp://u:p@h`, `nats://token@host`: a URL's user part is a
 * credential, and the file may not hold one any more than `broker.password`; nor one whose
 * password holds an unencoded `/`, `?` or `#` (`nats://u:s3c/ret@h`).
 */
function assertNoUrlCredentials(urls: unknown): void {
  const list = typeof urls === 'string' ? urls.split(',') : Array.isArray(urls) ? urls : [];
  for (const url of list) {
    if (typeof url === 'string' && (/^\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/.test(url) || cutUserInfo(url, 'any'))) {
      throw new ConfigError('broker.urls', 'credentials in a URL are secrets, read from the environment only (FSBUS_BROKER_URL, or broker.user here and FSBUS_BROKER_PASSWORD / FSBUS_BROKER_TOKEN)');
    }
  }
}

function getPath(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function deletePath(obj: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  const parent = keys.length === 1 ? obj : getPath(obj, keys.slice(0, -1).join('.'));
  if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[keys[keys.length - 1]!];
}

function setPath(obj: Record<string, unknown>, path: string, value: string): void {
  const keys = path.split('.');
  let cur = obj;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

/**
 * FSBUS_NODE_ID and its mod_event_agent name MOD_EVENT_AGENT_NODE_ID both set, to nodes that
 * differ (once slugified): the first of ENV_MAP's names wins, as loadConfig takes it, and the
 * other is ignored without a word unless said (a unit file kept from mod_event_agent, an override
 * added beside it). Undefined when there is nothing to say. Not a refusal: the precedence stands.
 */
export function nodeIdEnvConflict(env: Env): { message: string; fields: Record<string, string> } | undefined {
  const names = ENV_MAP.find(([path]) => path === 'node_id')![1];
  const set = names.filter((n) => env[n] !== undefined && env[n] !== '').map((n) => [n, env[n]!] as const);
  const [winner, ...others] = set;
  if (winner === undefined) return undefined;
  const differ = others.filter(([, value]) => slugNodeId(value) !== slugNodeId(winner[1]));
  if (differ.length === 0) return undefined;
  const given = [winner, ...differ].map(([n, v]) => `${n} ('${v}')`).join(' and ');
  return {
    message: `${given} differ: node_id '${slugNodeId(winner[1])}' from ${winner[0]} is used`,
    fields: { ...Object.fromEntries([winner, ...differ]), node_id: slugNodeId(winner[1]) },
  };
}
