/**
 * Drivers are loaded by name and lazily (pino's transports-by-name idea): the agent pays for the
 * broker client it uses only. The next drivers add a line here. Also what a name and a URL say of
 * each other: each driver's default URL, and the driver a URL's scheme names.
 */
import type { Driver, DriverOptions } from './driver.js';
import { TransportError, TransportErrorCode } from './errors.js';
import { redact } from './redact.js';
import { schemePrefix } from './url-scheme.js';
import { brokerUrlProblem, DRIVER_SCHEMES, unknownSchemeProblem } from './broker-url.js';

export type DriverFactory = (options: DriverOptions) => Driver;

const LOADERS: Readonly<Record<string, () => Promise<DriverFactory>>> = {
  nats: async () => (await import('./nats/nats-driver.js')).createNatsDriver,
  amqp: async () => (await import('./drivers/amqp/amqp-driver.js')).createAmqpDriver,
  redis: async () => (await import('./drivers/redis/redis-driver.js')).createRedisDriver,
  mqtt: async () => (await import('./drivers/mqtt/mqtt-driver.js')).createMqttDriver,
  kafka: async () => (await import('./drivers/kafka/kafka-driver.js')).createKafkaDriver,
  zmq: async () => (await import('./drivers/zmq/zmq-driver.js')).createZmqDriver,
};

/** Other names of a driver: `rabbitmq` is what mod_event_agent's `driver` param called amqp. */
const DRIVER_ALIASES: Readonly<Record<string, string>> = { rabbitmq: 'amqp' };

/** The names a driver is chosen by (lower case), each driver's aliases after it: `nats, amqp, rabbitmq, redis, …`. */
export const DRIVER_NAMES: readonly string[] = Object.keys(LOADERS).flatMap((d) => [d, ...Object.keys(DRIVER_ALIASES).filter((a) => DRIVER_ALIASES[a] === d)]);

/** The driver a name means (any case, an alias resolved), or undefined for a name no driver has. */
export function driverNamed(name: string): string | undefined {
  const lower = name.toLowerCase();
  const driver = Object.hasOwn(DRIVER_ALIASES, lower) ? DRIVER_ALIASES[lower]! : lower;
  return Object.hasOwn(LOADERS, driver) ? driver : undefined;
}

/** Each broker's own port on loopback: where a driver connects (zmq: binds) when no URL is given. */
const DEFAULT_URLS: Readonly<Record<string, string>> = {
  nats: 'nats://127.0.0.1:4222',
  amqp: 'amqp://127.0.0.1:5672',
  redis: 'redis://127.0.0.1:6379',
  mqtt: 'mqtt://127.0.0.1:1883',
  kafka: 'kafka://127.0.0.1:9092',
  // Commands on 5555, events on 5556 (mod_event_zmq's port).
  zmq: 'zmq://127.0.0.1:5555',
};

/** The broker URL used when none is given: the driver's own default port on loopback (nats's for an unknown name). */
export function defaultBrokerUrl(driver: string): string {
  return DEFAULT_URLS[driverNamed(driver) ?? ''] ?? DEFAULT_URLS['nats']!;
}

/** URL schemes that name one driver: read by it alone (`tls:` — nats or mqtt —, `tcp:`, `ws:` and bare `host:port` name none). */
const SCHEME_DRIVERS: ReadonlyMap<string, string> = (() => {
  const readers = new Map<string, string[]>();
  for (const [driver, schemes] of Object.entries(DRIVER_SCHEMES)) for (const s of schemes) readers.set(s, [...(readers.get(s) ?? []), driver]);
  return new Map([...readers].filter(([, drivers]) => drivers.length === 1).map(([s, [driver]]) => [s, driver!]));
})();

/** The driver a broker URL's scheme names, if it names one. */
export function driverOfUrl(url: string): string | undefined {
  // `nats://` → `nats`.
  const scheme = schemePrefix(url.trim())?.slice(0, -3).toLowerCase();
  return scheme === undefined ? undefined : SCHEME_DRIVERS.get(scheme);
}

/**
 * The driver for `urls`: the chosen one, or when none was chosen the one their schemes name
 * (else nats). URLs that name another broker than the chosen one (or several), or — none chosen —
 * a scheme no driver reads, are a mismatch.
 */
export function driverForUrls(chosen: string | undefined, urls: readonly string[]): { driver: string } | { mismatch: string } {
  const web = urls.find((u) => /^https?:\/\//i.test(u.trim()));
  if (web !== undefined) return { mismatch: `${redact(web)} is a web address (a dashboard or metrics page?), not a broker URL` };
  const named = [...new Set(urls.map(driverOfUrl).filter((d) => d !== undefined))];
  // A name no driver has: left to loadDriver, whose error says so (a mismatch would name a URL
  // the user never gave: the nats default).
  const driver = chosen === undefined ? undefined : driverNamed(chosen);
  if (chosen !== undefined && driver === undefined) return { driver: chosen };
  if (driver !== undefined) {
    const other = named.find((d) => d !== driver);
    return other === undefined ? { driver } : { mismatch: `${redact(urls.find((u) => driverOfUrl(u) === other) ?? '')} is a URL of the ${other} driver, not of ${driver}: choose the matching driver, or none (the URL's scheme chooses)` };
  }
  if (named.length > 1) return { mismatch: `URLs of different drivers (${named.join(', ')}) given together` };
  // A scheme no driver reads (`ampq://`) is a typo, not a URL of the nats default.
  const unknown = unknownSchemeProblem(urls);
  if (unknown !== undefined) return { mismatch: unknown };
  return { driver: named[0] ?? 'nats' };
}

export async function loadDriver(name: string): Promise<DriverFactory> {
  const loader = LOADERS[driverNamed(name) ?? ''];
  if (loader === undefined) {
    throw new TransportError(TransportErrorCode.UNKNOWN_DRIVER, `unknown driver '${name}' (known: ${DRIVER_NAMES.join(', ')})`);
  }
  return loader();
}

/**
 * loadDriver + construct, in one call. A URL the driver cannot read (a typo, a port past 65535,
 * another driver's scheme, a password with an unencoded `/` cutting it in two) is refused here,
 * whoever creates the driver: its "Invalid URL" or timeout at connect would read as a broker problem.
 */
export async function createDriver(name: string, options: DriverOptions): Promise<Driver> {
  const factory = await loadDriver(name);
  const bad = options.urls.map((u) => brokerUrlProblem(u, driverNamed(name) ?? name)).find((p) => p !== undefined);
  if (bad !== undefined) throw new TransportError(TransportErrorCode.INVALID_OPTION, bad);
  return factory(options);
}

