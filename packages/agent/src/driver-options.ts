/** The broker driver's options from the agent's config: URLs, credentials (env only), TLS, CURVE keys, outage buffer, persistent events, event stream. */
import { buildSubjects, type Subjects } from '@fsbus/contract';
import type { CurveKeys, DriverOptions, StreamSpec } from '@fsbus/transport';
import type { Logger } from 'pino';
import type { AgentConfig } from './config/schema.js';

export function driverOptions(c: AgentConfig, namespace: string, logger: Logger): DriverOptions {
  return {
    urls: c.broker.urls,
    name: `fsbus-agent-${c.node_id}`,
    namespace,
    auth: {
      ...(c.secrets.brokerToken === undefined ? {} : { token: c.secrets.brokerToken }),
      ...(c.secrets.brokerNkeySeed === undefined ? {} : { nkeySeed: c.secrets.brokerNkeySeed }),
      ...(c.broker.user === undefined ? {} : { user: c.broker.user }),
      ...(c.secrets.brokerPassword === undefined ? {} : { password: c.secrets.brokerPassword }),
      ...(c.broker.creds_file === undefined ? {} : { credsFile: c.broker.creds_file }),
    },
    ...(c.broker.tls === undefined ? {} : { tls: typeof c.broker.tls === 'boolean' ? c.broker.tls : { ...tlsFiles(c.broker.tls) } }),
    ...curveKeys(c),
    // `namespace` is the subject prefix: its events, and nothing else, go out persistent.
    ...(c.broker.amqp.persistent_events ? { persistentSubjects: [buildSubjects(namespace).eventsWildcard] } : {}),
    bufferMessages: c.broker.buffer_messages,
    bufferBytes: c.broker.buffer_bytes,
    logger,
  };
}

/** The durable event stream (events.stream): named after the prefix unless configured, holding every event subject. */
export function streamSpec(c: AgentConfig, subjects: Subjects): StreamSpec {
  const s = c.events.stream;
  return {
    name: s.name ?? `${subjects.prefix.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}_EVENTS`,
    subjects: [subjects.eventsWildcard],
    ...(s.max_age_ms > 0 ? { maxAgeMs: s.max_age_ms } : {}),
    ...(s.max_messages === undefined ? {} : { maxMessages: s.max_messages }),
    ...(s.max_bytes === undefined ? {} : { maxBytes: s.max_bytes }),
  };
}

/** ZeroMQ CURVE keys from config (public/server/client keys) and env (secret key); none = plain sockets. */
function curveKeys(c: AgentConfig): { curve?: CurveKeys } {
  const k = c.broker.curve;
  const curve: CurveKeys = {
    ...(k?.public_key === undefined ? {} : { publicKey: k.public_key }),
    ...(k?.server_key === undefined ? {} : { serverKey: k.server_key }),
    ...(k?.client_keys === undefined ? {} : { clientKeys: k.client_keys }),
    ...(c.secrets.zmqCurveSecretKey === undefined ? {} : { secretKey: c.secrets.zmqCurveSecretKey }),
  };
  return Object.keys(curve).length === 0 ? {} : { curve };
}

function tlsFiles(t: { ca_file?: string | undefined; cert_file?: string | undefined; key_file?: string | undefined }) {
  return {
    ...(t.ca_file === undefined ? {} : { caFile: t.ca_file }),
    ...(t.cert_file === undefined ? {} : { certFile: t.cert_file }),
    ...(t.key_file === undefined ? {} : { keyFile: t.key_file }),
  };
}
