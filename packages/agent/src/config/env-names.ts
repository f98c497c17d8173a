/**
 * The environment variables the agent reads, apart from loadConfig: the fsbus CLI checks every
 * command's env against them (unknown-env.ts) without loading the schema and its validator.
 */
import type { AgentSecrets } from './schema.js';

/** Env var → config path. The first name found wins (FSBUS_* before MOD_EVENT_AGENT_*). */
export const ENV_MAP: ReadonlyArray<readonly [path: string, names: readonly string[]]> = [
  ['node_id', ['FSBUS_NODE_ID', 'MOD_EVENT_AGENT_NODE_ID']],
  ['driver', ['FSBUS_DRIVER', 'MOD_EVENT_AGENT_DRIVER']],
  ['subject_prefix', ['FSBUS_SUBJECT_PREFIX', 'MOD_EVENT_AGENT_SUBJECT_PREFIX']],
  ['broker.urls', ['FSBUS_BROKER_URL', 'FSBUS_BROKER_URLS', 'MOD_EVENT_AGENT_URL']],
  ['broker.user', ['FSBUS_BROKER_USER']],
  ['broker.creds_file', ['FSBUS_BROKER_CREDS']],
  ['broker.tls.ca_file', ['FSBUS_BROKER_TLS_CA']],
  ['broker.tls.cert_file', ['FSBUS_BROKER_TLS_CERT']],
  ['broker.tls.key_file', ['FSBUS_BROKER_TLS_KEY']],
  ['broker.curve.public_key', ['FSBUS_ZMQ_CURVE_PUBLIC_KEY']],
  ['broker.curve.server_key', ['FSBUS_ZMQ_CURVE_SERVER_KEY']],
  ['broker.curve.client_keys', ['FSBUS_ZMQ_CURVE_CLIENT_KEYS']],
  ['broker.amqp.persistent_events', ['FSBUS_AMQP_PERSISTENT_EVENTS']],
  ['broker.buffer_messages', ['FSBUS_BROKER_BUFFER_MESSAGES']],
  ['broker.buffer_bytes', ['FSBUS_BROKER_BUFFER_BYTES']],
  ['esl.host', ['FSBUS_ESL_HOST']],
  ['esl.port', ['FSBUS_ESL_PORT']],
  ['esl.pool_size', ['FSBUS_ESL_POOL_SIZE']],
  ['esl.max_pending', ['FSBUS_ESL_MAX_PENDING']],
  ['esl.turn_batch', ['FSBUS_ESL_TURN_BATCH']],
  ['esl.liveness_ms', ['FSBUS_ESL_LIVENESS_MS']],
  ['commands.max_payload_bytes', ['FSBUS_MAX_PAYLOAD_BYTES']],
  ['commands.denylist', ['FSBUS_API_DENYLIST', 'MOD_EVENT_AGENT_API_DENYLIST']],
  ['commands.allowlist', ['FSBUS_API_ALLOWLIST', 'MOD_EVENT_AGENT_API_ALLOWLIST']],
  ['commands.max_in_flight', ['FSBUS_MAX_IN_FLIGHT']],
  ['commands.timeout_ms', ['FSBUS_COMMAND_TIMEOUT_MS']],
  ['commands.drain_timeout_ms', ['FSBUS_DRAIN_TIMEOUT_MS']],
  ['commands.start_cordoned', ['FSBUS_START_CORDONED']],
  ['commands.max_execute_watches', ['FSBUS_MAX_EXECUTE_WATCHES']],
  ['commands.forward_to', ['FSBUS_FORWARD_TO']],
  ['commands.reply_to', ['FSBUS_REPLY_TO']],
  ['events.include', ['FSBUS_EVENTS_INCLUDE', 'MOD_EVENT_AGENT_INCLUDE_EVENTS']],
  ['events.exclude', ['FSBUS_EVENTS_EXCLUDE', 'MOD_EVENT_AGENT_EXCLUDE_EVENTS']],
  ['events.stream.enabled', ['FSBUS_JETSTREAM', 'FSBUS_EVENTS_STREAM']],
  ['events.stream.name', ['FSBUS_EVENTS_STREAM_NAME']],
  ['events.stream.max_age_ms', ['FSBUS_EVENTS_STREAM_MAX_AGE_MS']],
  ['metrics.port', ['FSBUS_METRICS_PORT']],
  ['metrics.host', ['FSBUS_METRICS_HOST']],
  ['metrics.enabled', ['FSBUS_METRICS']],
  ['dialplan.port', ['FSBUS_DIALPLAN_PORT']],
  ['dialplan.host', ['FSBUS_DIALPLAN_HOST']],
  ['dialplan.path', ['FSBUS_DIALPLAN_PATH']],
  ['dialplan.user', ['FSBUS_DIALPLAN_USER']],
  ['dialplan.state_file', ['FSBUS_DIALPLAN_STATE_FILE']],
  ['shutdown_timeout_ms', ['FSBUS_SHUTDOWN_TIMEOUT_MS']],
  ['log_level', ['FSBUS_LOG_LEVEL']],
  ['log_audit', ['FSBUS_LOG_AUDIT']],
];

/** Secret env vars; a file field of the same meaning is refused. */
export const SECRETS: ReadonlyArray<readonly [key: keyof AgentSecrets, names: readonly string[], fileFields: readonly string[]]> = [
  ['eslPassword', ['FSBUS_ESL_PASSWORD', 'MOD_EVENT_AGENT_ESL_PASSWORD'], ['esl.password']],
  ['brokerToken', ['FSBUS_BROKER_TOKEN', 'MOD_EVENT_AGENT_TOKEN'], ['broker.token', 'token']],
  ['brokerNkeySeed', ['FSBUS_BROKER_NKEY_SEED', 'MOD_EVENT_AGENT_NKEY_SEED'], ['broker.nkey_seed', 'nkey_seed']],
  ['brokerPassword', ['FSBUS_BROKER_PASSWORD', 'MOD_EVENT_AGENT_PASSWORD'], ['broker.password', 'password']],
  ['dialplanPassword', ['FSBUS_DIALPLAN_PASSWORD'], ['dialplan.password']],
  ['zmqCurveSecretKey', ['FSBUS_ZMQ_CURVE_SECRET_KEY'], ['broker.curve.secret_key']],
];

/** Every environment variable the agent reads (settings and secrets, with their aliases). */
export function agentEnvNames(): string[] {
  return [...ENV_MAP, ...SECRETS].flatMap(([, names]) => names);
}
