/** Subjects ⇄ MQTT topics, and DriverOptions → mqtt.js options. */
import { readTlsMaterial } from '../../tls-material.js';
import type { IClientOptions, IPublishPacket } from 'mqtt';
import type { Subjects } from '@fsbus/contract';
import type { DriverOptions } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';

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

/**
 * The bytes of a QoS 1 PUBLISH as mqtt-packet writes it (fixed header, topic, packet id, MQTT 5
 * properties, payload): what a broker's CONNACK Maximum Packet Size weighs. Counts the properties
 * the driver sets; any other would be missed.
 */
export function publishPacketBytes(topic: string, payloadBytes: number, properties: IPublishPacket['properties']): number {
  let props = 0;
  if (properties?.correlationData !== undefined) props += 3 + properties.correlationData.byteLength;
  if (properties?.responseTopic !== undefined) props += 3 + Buffer.byteLength(properties.responseTopic);
  if (properties?.messageExpiryInterval !== undefined) props += 5;
  for (const [k, v] of Object.entries(properties?.userProperties ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) props += 5 + Buffer.byteLength(k) + Buffer.byteLength(String(one));
  }
  const remaining = 2 + Buffer.byteLength(topic) + 2 + varintBytes(props) + props + payloadBytes;
  return 1 + varintBytes(remaining) + remaining;
}

function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

/** The longest topic name or filter: a UTF-8 string's 2-byte length (MQTT 5 §1.5.4). */
export const MAX_TOPIC_BYTES = 65_535;

/** The log line of refused Response Topics (once per burst, with the request's subject and the topic). */
export const REFUSED_RESPONSE_TOPIC_LOG =
  "mqtt request whose Response Topic a reply cannot be published to (empty, a wildcard, U+0000, over 65535 bytes, in the broker's $ namespace, or one of the agent's own topics): skipped, not run";

/**
 * Why no PUBLISH may carry `topic` as its topic name (MQTT 5 §4.7: not empty, no wildcard `+` or
 * `#`, no U+0000, at most 65,535 bytes), or undefined. The broker disconnects a client for such a
 * PUBLISH (Mosquitto: DISCONNECT 0x82 for a wildcard, 0x81 for U+0000); mqtt.js cannot even write
 * one over 65,535 bytes (it throws from its socket write, out of reach of any caller).
 */
export function topicNameProblem(topic: string): string | undefined {
  if (topic === '') return 'it is empty';
  if (topic.includes('+') || topic.includes('#')) return 'it holds a wildcard (+ or #)';
  if (topic.includes('\u0000')) return 'it holds U+0000';
  // A UTF-16 unit is at most 3 bytes of UTF-8: only a long topic needs weighing.
  if (topic.length > MAX_TOPIC_BYTES / 3 && Buffer.byteLength(topic) > MAX_TOPIC_BYTES) return `it is over ${MAX_TOPIC_BYTES} bytes`;
  return undefined;
}

/**
 * Why a subject cannot be PUBLISHed as a topic (its tokens become the topic's levels), or
 * undefined: what no PUBLISH may carry (topicNameProblem), and a token holding `/`, which would
 * split it into levels.
 */
export function subjectTopicProblem(subject: string): string | undefined {
  if (!/^[^\s.*>/+#]+(\.[^\s.*>/+#]+)*$/.test(subject)) return 'a subject is dot-separated tokens without spaces, wildcards (* > + #) or /';
  const why = topicNameProblem(subject);
  // Empty and wildcards are the pattern's: what is left is U+0000 and the length.
  return why === undefined ? undefined : `an MQTT topic name may not hold U+0000 nor be over ${MAX_TOPIC_BYTES} bytes: ${why}`;
}

/**
 * Why a reply may not be PUBLISHed to the Response Topic `topic`, or undefined: a topic name no
 * PUBLISH may carry (Mosquitto accepts it on the request all the same), or one beginning with `$`.
 * Those are the broker's own (§4.7.2: `$SYS`, `$share`, Mosquitto's `$CONTROL` admin API): a reply
 * is never meant for one, and there it is refused at best (Mosquitto: "Not authorized" for
 * `$SYS/…`), at worst an administrative request sent with the server's credentials.
 */
export function responseTopicProblem(topic: string): string | undefined {
  return topic.charCodeAt(0) === 0x24 ? "it is in the broker's reserved $ namespace" : topicNameProblem(topic);
}

/**
 * Why a reply may not be PUBLISHed to `topic` for being one of the agent's own topics, or
 * undefined: forward_to's rule (contract `forwardToProblem`) for Response Topics. A requester that
 * may write only `<ns>/api` would otherwise make the agent publish, with its own rights, onto an
 * event or lane topic (`<ns>/events/channel/hangup`: dashboards took the reply for an event).
 * Only topics below the namespace are weighed; the reply space `<ns>/reply/…` is not the agent's.
 */
export function ownTopicProblem(topic: string, subjects: Subjects): string | undefined {
  const ns = toTopic(subjects.prefix);
  if (!topic.startsWith(`${ns}/`)) return undefined;
  // `*` and `>` are plain characters in a topic name, which isOwnSubject would take for wildcards:
  // neutralised, not skipped (`<ns>/events/>` is a topic dashboards on `<ns>/events/#` receive).
  if (!subjects.isOwnSubject(fromTopic(topic).replace(/[*>]/g, '_'))) return undefined;
  return `it is one of the agent's own topics (${ns}/api, broadcast, node, cmd, events and below)`;
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
    // mqtt.js stops reconnecting for good after a CONNACK refusal (a password changed while the
    // broker was away): an agent never gives up on its broker. connect() still fails on the first one.
    reconnectOnConnackError: true,
    // The driver re-subscribes (with its subscription identifiers) and keeps its own bounded outbox.
    resubscribe: false,
    queueQoSZero: false,
    keepalive: 10,
    servers,
  };
  const user = options.auth?.user ?? (first.username === '' ? undefined : decodeURIComponent(first.username));
  const password = options.auth?.password ?? options.auth?.token ?? (first.password === '' ? undefined : decodeURIComponent(first.password));
  if (user !== undefined && user !== '') out.username = user;
  if (password !== undefined && password !== '') {
    // MQTT 5 allows a password alone, but mqtt.js refuses to write such a CONNECT and its reason
    // is lost (the connect only fails as "connection closed"): said here, before any connect.
    if (out.username === undefined) {
      const what = options.auth?.password === undefined && options.auth?.token !== undefined ? 'a token (sent as the password)' : 'a password';
      throw new TransportError(TransportErrorCode.INVALID_OPTION, `mqtt: ${what} needs a user name: the MQTT client (mqtt.js) sends a password only beside one; set auth.user (the agent: broker.user, FSBUS_BROKER_USER)`);
    }
    out.password = password;
  }
  const t = options.tls;
  if (typeof t === 'object') {
    const { ca, cert, key } = readTlsMaterial(t);
    if (ca !== undefined) out.ca = [ca];
    if (cert !== undefined) out.cert = cert;
    if (key !== undefined) out.key = key;
  }
  return out;
}
