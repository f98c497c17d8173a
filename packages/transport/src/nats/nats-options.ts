/** DriverOptions → nats.js ConnectionOptions (URL list failover, token/nkey/user-pass/creds, TLS). */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type Authenticator, type ConnectionOptions } from '@nats-io/transport-node';
import type { DriverAuth, DriverLogger, DriverOptions } from '../driver.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../defaults.js';
import { TransportError, TransportErrorCode } from '../errors.js';
import { nkeySeedProblem } from './nkey-seed.js';
import { schemePrefix } from '../url-scheme.js';
import { livenessIntervalOption } from '../drivers/driver-core.js';

/** Between reconnect attempts; nats.js adds jitter. @default 1000 */
export const DEFAULT_RECONNECT_WAIT_MS = 1000;
/** nats.js's PING interval unless `livenessIntervalMs` says otherwise (nats.js's own: 2 min). @default 10000 */
export const DEFAULT_PING_INTERVAL_MS = 10_000;
/**
 * PINGs left unanswered before nats.js takes the connection for stale: at the next tick, so a link
 * that hangs is given up 2–3 intervals after it stopped answering. nats.js's default. @default 2
 */
export const MAX_PINGS_OUT = 2;

/** `nats://user:pass@host` / `nats://token@host`: the user-info and the URL without it. */
function splitUserInfo(url: string): { server: string; user?: string; pass?: string; token?: string } {
  const scheme = schemePrefix(url) ?? '';
  const rest = url.slice(scheme.length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  // The last `@` of the authority: a password with an unencoded `@` stays whole.
  const at = authority.lastIndexOf('@');
  if (at < 0) return { server: url };
  const server = `${scheme}${rest.slice(at + 1)}`;
  const info = authority.slice(0, at);
  const colon = info.indexOf(':');
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return colon < 0 ? { server, token: decode(info) } : { server, user: decode(info.slice(0, colon)), pass: decode(info.slice(colon + 1)) };
}

/** A `.creds` file's armoured blocks, as nats.js's credsAuthenticator reads them: the user JWT, then the seed. */
const CREDS_BLOCK = /\s*(?:(?:[-]{3,}[^\n]*[-]{3,}\n)(.+)(?:\n\s*[-]{3,}[^\n]*[-]{3,}\n))/gi;

/**
 * Why `text` is no `.creds` file nats.js can sign with (no user JWT block, a JWT that is none, a
 * seed that is none), or undefined. Never quotes the text: it holds a secret (the seed).
 */
export function natsCredsProblem(text: string): string | undefined {
  const blocks = [...text.replace(/\r\n/g, '\n').matchAll(CREDS_BLOCK)].map((m) => m[1]!.trim());
  if (blocks.length < 2) return 'no "BEGIN NATS USER JWT" and "BEGIN USER NKEY SEED" blocks (a .creds file as `nsc generate creds` writes it)';
  const [jwt, seed] = blocks as [string, string];
  const claims = jwt.split('.')[1];
  let type: unknown;
  try {
    type = (JSON.parse(Buffer.from(claims ?? '', 'base64url').toString('utf8')) as { nats?: { type?: unknown } }).nats?.type;
  } catch {
    type = undefined;
  }
  if (jwt.split('.').length !== 3 || type !== 'user') return 'its first block is not a user JWT';
  const badSeed = nkeySeedProblem(seed);
  return badSeed === undefined ? undefined : `its seed is not an NKey seed (${badSeed})`;
}

/** CRLF line ends (nats.go reads `\r?\n`) as nats.js's credsAuthenticator wants them: LF only. */
const lf = (text: string): string => text.replace(/\r\n/g, '\n');

/** `file`'s text (LF line ends), or why it cannot sign in: unreadable (`errno`) or malformed. */
function readCreds(file: string): { text: string } | { problem: string; errno?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { problem: `cannot read it (${errno})`, errno };
  }
  const problem = natsCredsProblem(text);
  return problem === undefined ? { text: lf(text) } : { problem };
}

/**
 * Why the `.creds` file at `file` cannot sign in now — `cannot read <file> (ENOENT)`, `<file> is
 * not a .creds file: …` — or undefined: the check the agent's config and the CLI make at start,
 * so that such a file is a setting refused, not every connect failing. Never quotes the file.
 */
export function natsCredsFileProblem(file: string): string | undefined {
  const read = readCreds(file);
  if ('text' in read) return undefined;
  return read.errno !== undefined ? `cannot read ${file} (${read.errno})` : `${file} is not a .creds file: ${read.problem}`;
}

/**
 * The authenticator of `auth`'s `.creds` (a `credsFile` read now, and again at each reconnect),
 * undefined without one; throws INVALID_OPTION for one that cannot sign now.
 */
function credsAuth(auth: DriverAuth | undefined, logger: DriverLogger | undefined): Authenticator | undefined {
  const file = auth?.credsFile !== undefined && auth.credsFile !== '' ? auth.credsFile : undefined;
  const given = auth?.creds !== undefined && auth.creds !== '' ? auth.creds : undefined;
  if (file === undefined && given === undefined) return undefined;
  // nats.js would send each (a JWT and a seed's signature besides a token or a password): the server
  // in operator mode reads only the JWT, so another credential given is a mistake, said now.
  const others: string[] = (['token', 'nkeySeed', 'user', 'password'] as const).filter((k) => auth?.[k] !== undefined && auth[k] !== '');
  if (file !== undefined && given !== undefined) others.unshift('creds');
  if (others.length > 0) {
    throw new TransportError(TransportErrorCode.INVALID_OPTION, `auth.${file === undefined ? 'creds' : 'credsFile'} cannot be combined with auth.${others.join(', auth.')}: a .creds file is the whole credential`);
  }
  if (file === undefined) {
    const problem = natsCredsProblem(given!);
    if (problem !== undefined) throw new TransportError(TransportErrorCode.INVALID_OPTION, `auth.creds: ${problem}`);
    return credsAuthenticator(new TextEncoder().encode(lf(given!)));
  }
  const first = readCreds(file);
  if ('problem' in first) {
    const detail = first.errno !== undefined ? `: cannot read ${file} (${first.errno})` : ` ${file}: ${first.problem}`;
    throw new TransportError(TransportErrorCode.INVALID_OPTION, `auth.credsFile${detail}`);
  }
  // nsc and Synadia Cloud rotate user JWTs by rewriting the file: each (re)connect reads it again,
  // or a connection would sign in with the JWT of its start until it expires, then never again.
  // Mid-rotation (half written, moved away) the last good text still signs: warned once per problem.
  let good = first.text;
  let warned: string | undefined;
  return (nonce?: string) => {
    const now = readCreds(file);
    if ('text' in now) {
      good = now.text;
      warned = undefined;
    } else if (now.problem !== warned) {
      warned = now.problem;
      logger?.warn({ creds_file: file, problem: now.problem }, 'nats: the .creds file cannot sign in now: the last good one does');
    }
    // One read per connect: the JWT and the seed from the same text.
    return credsAuthenticator(new TextEncoder().encode(good))(nonce);
  };
}

/**
 * Throws INVALID_OPTION for `.creds` auth that cannot sign in (a file missing, unreadable or
 * malformed, text that is none, another credential besides): createDriver refuses it as it does a
 * missing TLS file, so a caller's retry loop does not take it for a broker away.
 */
export function assertNatsCredsUsable(auth: DriverAuth | undefined): void {
  credsAuth(auth, undefined);
}

export function toNatsOptions(options: DriverOptions): ConnectionOptions {
  // nats.js drops a URL's user-info: libnats (mod_event_agent's) reads it, so we do too, unless
  // credentials are given explicitly.
  const parts = options.urls.flatMap((u) => u.split(',')).map((u) => u.trim()).filter((u) => u !== '').map(splitUserInfo);
  const servers = parts.map((p) => p.server);
  const out: ConnectionOptions = {
    servers,
    timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // An agent never gives up on its broker: reconnect forever, the outbox bounds the memory.
    maxReconnectAttempts: -1,
    // nats.js otherwise closes for good after two authorization errors in a row (a server
    // restarted with other credentials for a while): forever means that too.
    ignoreAuthErrorAbort: true,
    reconnectTimeWait: DEFAULT_RECONNECT_WAIT_MS,
    // nats.js's own buffer is unbounded while disconnected; ours (Outbox) takes over.
    // Its pings are the dead-link check: `livenessIntervalMs` tunes it.
    pingInterval: livenessIntervalOption(options, DEFAULT_PING_INTERVAL_MS),
    maxPingOut: MAX_PINGS_OUT,
    // nats.js otherwise captures a stack trace per request/flush for its error messages: a cost
    // on every message for a benefit only when debugging nats.js itself.
    noAsyncTraces: true,
  };
  if (options.name !== undefined) out.name = options.name;
  // nats.js's own requests (JetStream's API calls) answer under the same prefix as ours.
  if (options.inboxPrefix !== undefined) out.inboxPrefix = options.inboxPrefix;
  const auth = options.auth;
  const creds = credsAuth(auth, options.logger);
  const explicit = creds !== undefined || [auth?.token, auth?.user, auth?.nkeySeed].some((v) => v !== undefined && v !== '');
  const fromUrl = explicit ? undefined : parts.find((p) => p.token !== undefined || p.user !== undefined);
  if (fromUrl?.token !== undefined && fromUrl.token !== '') out.token = fromUrl.token;
  if (fromUrl?.user !== undefined && fromUrl.user !== '') out.user = fromUrl.user;
  if (fromUrl?.pass !== undefined && fromUrl.pass !== '') out.pass = fromUrl.pass;
  if (auth?.token !== undefined && auth.token !== '') out.token = auth.token;
  if (auth?.user !== undefined && auth.user !== '') out.user = auth.user;
  if (auth?.password !== undefined && auth.password !== '') out.pass = auth.password;
  if (auth?.nkeySeed !== undefined && auth.nkeySeed !== '') {
    out.authenticator = nkeyAuthenticator(new TextEncoder().encode(auth.nkeySeed.trim()));
  }
  // Operator mode (nsc, Synadia Cloud): the server checks the user JWT, the seed signs its nonce.
  if (creds !== undefined) out.authenticator = creds;
  if (options.tls === true) out.tls = {};
  else if (typeof options.tls === 'object') {
    const t = options.tls;
    const tls: NonNullable<ConnectionOptions['tls']> = {};
    if (t.caFile !== undefined) tls.caFile = t.caFile;
    if (t.certFile !== undefined) tls.certFile = t.certFile;
    if (t.keyFile !== undefined) tls.keyFile = t.keyFile;
    if (t.ca !== undefined) tls.ca = t.ca;
    if (t.cert !== undefined) tls.cert = t.cert;
    if (t.key !== undefined) tls.key = t.key;
    out.tls = tls;
  }
  // A `tls://` URL requires TLS (libnats, nats.go: one in the list makes the whole connection
  // secure). nats.js drops the scheme; with `tls` set it refuses a server whose INFO offers no TLS
  // before sending CONNECT, so the password is never sent in clear.
  if (out.tls === undefined && requiresTls(servers)) out.tls = {};
  return out;
}

/**
 * nats.js's refusal of a server that offers no TLS when TLS is required ("server does not support
 * 'tls'") said with why it was required and that nothing was sent in clear; other errors as they are.
 */
export function noTlsOffered(err: unknown, options: DriverOptions): unknown {
  if (!(err instanceof Error) || !/does not support 'tls'/.test(err.message)) return err;
  const why = options.tls !== undefined && options.tls !== false ? 'the tls option' : 'a tls:// URL';
  return new Error(`the server offers no TLS, which ${why} requires: refused before any credential was sent`, { cause: err });
}

/** Whether one of `servers` is a `tls://` URL: TLS required, whatever the server offers. */
export function requiresTls(servers: readonly string[]): boolean {
  return servers.some((s) => schemePrefix(s)?.toLowerCase() === 'tls://');
}
