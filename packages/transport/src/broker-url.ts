/**
 * The form of a broker URL, checked before any driver reads it: `scheme://[userinfo@]host[:port]`,
 * comma-separated for a list. A typo (`amqp//h:5672`, port 314490, `ampq://`) otherwise reached
 * the driver, whose "Invalid URL" — or, a scheme no driver has being taken for NATS, a connect
 * timeout — read as a broker problem, and a service manager restarted the agent forever.
 *
 * What each driver reads: nats.js and the Kafka client drop the scheme and take bare `host:port`
 * (so does the ZeroMQ driver, `zmq://` added); the others parse a WHATWG URL. ZeroMQ's
 * `ipc:///path` has no host. Messages quote the URL through redact(): never a password.
 */
import { redact } from './redact.js';
import { schemePrefix } from './url-scheme.js';
import { unencodedUrlProblem } from './url-userinfo.js';

/**
 * The schemes each driver reads (lower case, without `://`), its own first; one read by a single
 * driver chooses it (load-driver.ts). Only schemes the driver acts on: mqtt.js turns TLS on for
 * `mqtts` alone (`tls://h:8883` would send the password in clear to a TLS port), and neither NATS
 * nor MQTT has a WebSocket transport here (`ws`, `wss`). nats.js drops the scheme and upgrades to
 * TLS whenever the server's INFO (sent before anything of ours) offers or requires it; a `tls://`
 * URL (libnats's, mod_event_agent's) also makes TLS required, as libnats does (nats-options.ts):
 * a server offering none is refused before the credentials are sent.
 */
export const DRIVER_SCHEMES: Readonly<Record<string, readonly string[]>> = {
  nats: ['nats', 'tls'],
  amqp: ['amqp', 'amqps'],
  redis: ['redis', 'rediss'],
  // `tcp`: plain MQTT, as mqtt-util reads it.
  mqtt: ['mqtt', 'mqtts', 'tcp'],
  kafka: ['kafka', 'kafka+ssl', 'kafka+tls'],
  zmq: ['zmq', 'tcp', 'ipc'],
};

/** Drivers that read `host:port` without a scheme. */
const BARE_DRIVERS: ReadonlySet<string> = new Set(['nats', 'kafka', 'zmq']);

const KNOWN_SCHEMES: readonly string[] = [...new Set(Object.values(DRIVER_SCHEMES).flat())];

/** Whether some driver reads URLs of `scheme` (`ampq`: none). */
export function isKnownScheme(scheme: string): boolean {
  return KNOWN_SCHEMES.includes(scheme.toLowerCase());
}

function unknownScheme(scheme: string): string {
  return `unknown scheme '${scheme}://' (known: ${KNOWN_SCHEMES.map((s) => `${s}://`).join(', ')})`;
}

/**
 * The first URL of `urls` (each one or a comma-separated list) whose scheme no driver reads, said
 * as brokerUrlProblem says it; undefined when there is none. Before a driver is chosen by the
 * URLs' schemes: `ampq://` must not mean nats, the driver of URLs that name none.
 */
export function unknownSchemeProblem(urls: readonly string[]): string | undefined {
  for (const piece of urls.flatMap((u) => u.split(',')).map((p) => p.trim())) {
    const scheme = schemePrefix(piece)?.slice(0, -3).toLowerCase();
    if (scheme !== undefined && !isKnownScheme(scheme)) return `${redact(piece)}: ${unknownScheme(scheme)}`;
  }
  return undefined;
}

/** A host name, an IPv4 address, `[v6]`, or ZeroMQ's `*`, then an optional port of digits. */
const HOST_PORT = /^(?:\[[\da-f:.]+(?:%[\w.~%-]+)?\]|[\p{L}\p{N}_.~%*-]+)(?::(\d*))?$/iu;

/**
 * Why `url` (one URL or a comma-separated list) cannot be a broker URL of `driver`, without its
 * secret; undefined when it can, or when `driver` is no driver's name (loadDriver says that).
 */
export function brokerUrlProblem(url: string, driver: string): string | undefined {
  const schemes = DRIVER_SCHEMES[driver];
  if (schemes === undefined) return undefined;
  for (const piece of url.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    // Said first: "percent-encode the password" is what to do about a URL cut at its `/`.
    const cut = unencodedUrlProblem(piece, driver);
    if (cut !== undefined) return cut;
    const problem = pieceProblem(piece, driver, schemes);
    if (problem !== undefined) return `${redact(piece)}: ${problem}`;
  }
  return undefined;
}

function pieceProblem(piece: string, driver: string, schemes: readonly string[]): string | undefined {
  const prefix = schemePrefix(piece);
  const own = `${schemes[0]!}://host[:port]`;
  if (prefix === undefined) {
    if (!BARE_DRIVERS.has(driver)) return `no scheme://: the ${driver} driver needs one (${own})`;
    // `amqp//h` or `nats:/h`: a scheme meant, mistyped.
    if (/[/?#\s]/.test(piece) || /^[a-z][a-z\d+.-]*:(?!\d*$)/i.test(piece.replace(/^.*@/, ''))) return `no scheme:// (a ':' or a '/' missing?), and no host[:port] either`;
    return hostPortProblem(piece.slice(piece.lastIndexOf('@') + 1));
  }
  const scheme = prefix.slice(0, -3).toLowerCase();
  if (!isKnownScheme(scheme)) return unknownScheme(scheme);
  if (!schemes.includes(scheme)) return `'${scheme}://' is not a scheme of the ${driver} driver (${schemes.map((s) => `${s}://`).join(', ')})`;
  const rest = piece.slice(prefix.length);
  // ZeroMQ's `ipc:///path` names a socket file, no host.
  if (scheme === 'ipc') return rest.startsWith('/') ? undefined : 'ipc:// takes a path: ipc:///path/to/socket';
  // The NATS driver takes the user-info up to the last @ before the first `/` (`?`, `#` in a password).
  const end = (driver === 'nats' ? /\// : /[/?#]/).exec(rest)?.index ?? rest.length;
  const authority = rest.slice(0, end);
  const problem = hostPortProblem(authority.slice(authority.lastIndexOf('@') + 1));
  if (problem !== undefined) return problem;
  if (BARE_DRIVERS.has(driver) || URL.canParse(piece)) return undefined;
  return 'not a URL the driver can read';
}

/** Why `hostPort` is no `host[:port]`; the text itself not quoted (a password cut at a comma may be in it). */
function hostPortProblem(hostPort: string): string | undefined {
  if (hostPort === '' || hostPort.startsWith(':')) return 'no host';
  const m = HOST_PORT.exec(hostPort);
  if (m === null) return /^[^:]*:\d*\D/.test(hostPort) && !hostPort.startsWith('[') ? 'the port is not a number' : 'no host[:port] after scheme://';
  const port = m[1];
  if (port === undefined || port === '') return port === '' ? 'no port after the host\'s ":"' : undefined;
  const n = Number(port);
  return n >= 1 && n <= 65535 ? undefined : `port ${port} is not 1-65535`;
}
