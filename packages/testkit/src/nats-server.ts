/**
 * Runs the real `nats-server` binary (Debian package `nats-server`, installed by scripts/setup)
 * on a free loopback port outside the ephemeral range (see free-port.ts), picked again when another
 * process took it first. `restart()` reuses the same port and JetStream store, for reconnect and
 * replay tests.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { launchOnFreshPorts } from './broker-handle.js';
import { freePort } from './free-port.js';
import { freeze } from './freeze.js';
import { BrokerStartError, spawnUntil, stopChild, waitForGreeting } from './process.js';
import { processTempDir } from './temp-dir.js';

export interface NatsServerOptions {
  /** Enable JetStream with a store in the server's own temp dir. @default false */
  jetstream?: boolean;
  /** @default process.env.FSBUS_NATS_SERVER ?? 'nats-server' */
  binary?: string;
  /** Require this token from clients. @default none */
  token?: string;
  /** Require this user/password from clients. @default none */
  user?: { name: string; password: string };
  /** Accept only clients signing with one of these NKey public keys (`U…`). @default none */
  nkeys?: readonly string[];
  /** Serve TLS with this PEM certificate and key (files). @default plain TCP */
  tls?: { certFile: string; keyFile: string };
  /**
   * Operator mode (decentralised JWT auth, as `nsc` sets it up): trust this operator JWT, with these
   * account JWTs (keyed by the account's public key `A…`) preloaded in a memory resolver. Clients
   * then sign in with a user JWT and its seed (a `.creds` file). @default none
   */
  operator?: { jwt: string; accounts: Readonly<Record<string, string>> };
  /** The server's `max_payload` (bytes a message may carry). @default nats-server's 1 MiB */
  maxPayloadBytes?: number;
  /** Readiness bound. @default 20000 */
  startTimeoutMs?: number;
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string | undefined;
  /** Stops the server (SIGTERM, then waits for exit); the port and store are kept for `start()`. */
  halt(): Promise<void>;
  /** Starts it again on the same port with the same store (with `token`: requiring that token from now on). */
  start(overrides?: { token?: string }): Promise<void>;
  /** halt() then start(). */
  restart(): Promise<void>;
  /** Stops it for good and removes its temp dir. */
  stop(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing is answered; resolves once every thread is stopped. */
  pause(): Promise<void>;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
}

const LISTEN = /Listening for client connections on [^\s]*:(\d+)/;
const READY = /Server is ready/;

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const bin = options.binary ?? process.env['FSBUS_NATS_SERVER'] ?? 'nats-server';
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  // A test process that ends without stop() leaves no dir behind.
  const temp = processTempDir('fsbus-nats-');
  const dir = temp.dir;
  const storeDir = options.jetstream === true ? join(dir, 'js') : undefined;
  let child: ChildProcess | undefined;
  let port = -1;
  let token = options.token;

  const launch = async (): Promise<void> => {
    const args = ['-a', '127.0.0.1', '-p', String(port), '-n', `fsbus-test-${process.pid}`];
    if (storeDir !== undefined) args.push('-js', '-sd', storeDir);
    if (token !== undefined) args.push('--auth', token);
    if (options.user !== undefined) args.push('--user', options.user.name, '--pass', options.user.password);
    if (options.tls !== undefined) args.push('--tls', '--tlscert', options.tls.certFile, '--tlskey', options.tls.keyFile);
    // NKey users, operator mode and max_payload exist only in a config file.
    const conf: string[] = [];
    if (options.operator !== undefined) {
      const preload = Object.entries(options.operator.accounts).map(([key, jwt]) => `${key}: ${JSON.stringify(jwt)}`);
      conf.push(`operator: ${JSON.stringify(options.operator.jwt)}`, 'resolver: MEMORY', `resolver_preload: { ${preload.join(', ')} }`);
    }
    if (options.nkeys !== undefined) conf.push(`authorization { users = [ ${options.nkeys.map((k) => `{ nkey: ${JSON.stringify(k)} }`).join(', ')} ] }`);
    if (options.maxPayloadBytes !== undefined) conf.push(`max_payload: ${options.maxPayloadBytes}`);
    if (conf.length > 0) {
      const file = join(dir, 'server.conf');
      await writeFile(file, conf.join('\n') + '\n');
      args.push('-c', file);
    }
    const started = await spawnUntil(bin, args, new RegExp(`${LISTEN.source}[\\s\\S]*${READY.source}`), timeoutMs).catch((err: unknown) => {
      if (err instanceof BrokerStartError && /ENOENT/.test(err.message)) {
        throw new BrokerStartError(`${bin} not found: run ./scripts/setup (installs the Debian package nats-server)`);
      }
      throw err;
    });
    child = started.child;
    // Keep draining the pipes so a chatty server never blocks on a full pipe.
    child.stdout?.resume();
    child.stderr?.resume();
    port = Number(started.match[1]);
    // Ready means a client gets the INFO line, not just that the log said so.
    const greeting = await waitForGreeting('127.0.0.1', port, timeoutMs);
    if (!greeting.startsWith('INFO ')) throw new BrokerStartError(`unexpected greeting from nats-server: ${greeting}`);
  };

  const halt = async (): Promise<void> => {
    const c = child;
    child = undefined;
    c?.kill('SIGCONT'); // a paused server would not act on SIGTERM
    if (c !== undefined) await stopChild(c);
  };

  try {
    await launchOnFreshPorts({
      pick: async () => {
        port = await freePort();
      },
      launch,
      halt,
      portInUse: (err) => /address already in use/i.test(String(err)),
    });
  } catch (err) {
    temp.remove();
    throw err;
  }

  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    halt,
    start: async (overrides) => {
      if (overrides?.token !== undefined) token = overrides.token;
      if (child === undefined) await launch();
    },
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async () => {
      await halt();
      temp.remove();
    },
    pause: () => freeze(child),
    resume: () => void child?.kill('SIGCONT'),
  };
}
