/**
 * Runs the real `redis-server` (Debian package `redis-server`, installed by scripts/setup) on a
 * free loopback port with its own temp dir and no persistence: a restart starts empty, as a
 * broker crash without AOF would (drivers must re-create their groups). `appendOnly` turns the
 * AOF on (fsync on every write): a restart then keeps every stream, group and position.
 */
import type { ChildProcess } from 'node:child_process';
import { makeHandle, type BrokerHandle } from './broker-handle.js';
import { freePort } from './free-port.js';
import { BrokerStartError, probeProtocol, spawnUntil, stopChild } from './process.js';
import { processTempDir } from './temp-dir.js';

export interface RedisServerOptions {
  /** @default process.env.FSBUS_REDIS_SERVER ?? 'redis-server' */
  binary?: string;
  /** `requirepass`. @default none */
  password?: string;
  /** Readiness bound. @default 20000 */
  startTimeoutMs?: number;
  /** Also listen with TLS (`tlsUrl`, `rediss://`); the certificate is its own CA; clients need no certificate. */
  tls?: { certFile: string; keyFile: string };
  /** Persist with the append-only file, `appendfsync always`. @default false */
  appendOnly?: boolean;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<BrokerHandle> {
  const bin = options.binary ?? process.env['FSBUS_REDIS_SERVER'] ?? 'redis-server';
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const temp = processTempDir('fsbus-redis-');
  const dir = temp.dir;
  let child: ChildProcess | undefined;
  let tlsPort: number | undefined;

  const launch = async (port: number): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...(options.appendOnly === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']), '--daemonize', 'no', '--loglevel', 'notice'];
    if (options.password !== undefined) args.push('--requirepass', options.password);
    if (options.tls !== undefined && tlsPort !== undefined) {
      const t = options.tls;
      args.push('--tls-port', String(tlsPort), '--tls-cert-file', t.certFile, '--tls-key-file', t.keyFile, '--tls-ca-cert-file', t.certFile, '--tls-auth-clients', 'no');
    }
    const started = await spawnUntil(bin, args, /Ready to accept connections/, timeoutMs).catch((err: unknown) => {
      if (err instanceof BrokerStartError && /ENOENT/.test(err.message)) {
        throw new BrokerStartError(`${bin} not found: run ./scripts/setup (installs the Debian package redis-server)`);
      }
      throw err;
    });
    child = started.child;
    child.stdout?.resume();
    child.stderr?.resume();
    // Ready means it answers RESP (NOAUTH counts: it is the server speaking).
    const answer = (await probeProtocol('127.0.0.1', port, Buffer.from('PING\r\n'), timeoutMs)).toString('utf8');
    if (!/^(\+PONG|-NOAUTH)/.test(answer)) throw new BrokerStartError(`unexpected answer from redis-server: ${answer}`);
  };

  return makeHandle({
    scheme: 'redis',
    pickPort: async () => {
      const port = await freePort();
      tlsPort = options.tls === undefined ? undefined : await freePort();
      return port;
    },
    launch,
    halt: async () => {
      const c = child;
      child = undefined;
      if (c !== undefined) await stopChild(c);
    },
    cleanup: () => temp.remove(),
    portInUse: (err) => /Address already in use/i.test(String(err)),
    ...(options.tls === undefined ? {} : { tls: { scheme: 'rediss', port: () => tlsPort } }),
  });
}
