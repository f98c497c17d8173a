/** Subjects ⇄ MQTT topics, and DriverOptions → mqtt.js options. */
import { readTlsMaterial } from '../../tls-material.js';
import type { IClientOptions } from 'mqtt';
import type { DriverOptions } from '../../driver.js';

/** `a.b.c` → `a/b/c` (subjects never contain `/`). */
export function toTopic(subject: string): string {
  return subject.split('.').join('/');
}

export function fromTopic(topic: string): string {
  return topic.split('/').join('.');
}

/**
 * A contract pattern as a topic filter: `*` → `+`, `>` → `+/#`. `>` is one or more tokens, MQTT's
 * `#` zero or more (`a/#` matches `a`): `+/#` takes at least one level, as NATS does.
 */
export function toFilter(pattern: string): string {
  return pattern
    .split('.')
    .map((t) => (t === '*' ? '+' : t === '>' ? '+/#' : t))
    .join('/');
}

/** A shared-subscription group name may not hold `/`, `+` or `#`. */
export function shareGroup(name: string): string {
  return name.replace(/[/+#]/g, '_');
}

/** mqtt.js options: URL list failover, credentials, TLS, MQTT 5, no library-side queueing. */
export function mqttOptions(urls: readonly string[], options: DriverOptions, clientId: string, connectTimeoutMs: number): IClientOptions {
  const servers = urls.map((raw) => {
    const u = new URL(raw);
    const protocol = u.protocol.replace(':', '');
    const tls = protocol === 'mqtts' || options.tls === true || typeof options.tls === 'object';
    const scheme: 'mqtt' | 'mqtts' = tls ? 'mqtts' : 'mqtt';
    return { host: u.hostname, port: u.port === '' ? (tls ? 8883 : 1883) : Number(u.port), protocol: scheme };
  });
  const first = new URL(urls[0] ?? 'mqtt://127.0.0.1:1883');
  const out: IClientOptions = {
    protocolVersion: 5,
    clientId,
    clean: true,
    connectTimeout: connectTimeoutMs,
    reconnectPeriod: 100,
    // The driver re-subscribes (with its subscription identifiers) and keeps its own bounded outbox.
    resubscribe: false,
    queueQoSZero: false,
    keepalive: 10,
    servers,
  };
  const user = options.auth?.user ?? (first.username === '' ? undefined : decodeURIComponent(first.username));
  const password = options.auth?.password ?? options.auth?.token ?? (first.password === '' ? undefined : decodeURIComponent(first.password));
  if (user !== undefined && user !== '') out.username = user;
  if (password !== undefined && password !== '') out.password = password;
  const t = options.tls;
  if (typeof t === 'object') {
    const { ca, cert, key } = readTlsMaterial(t);
    if (ca !== undefined) out.ca = [ca];
    if (cert !== undefined) out.cert = cert;
    if (key !== undefined) out.key = key;
  }
  return out;
}
