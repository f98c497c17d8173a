/**
 * Runs the real RabbitMQ (Debian package `rabbitmq-server`, installed by scripts/setup) as a
 * non-daemon child: its own node name, free AMQP/epmd/distribution ports on loopback (all picked
 * again when one was taken), Mnesia, logs and config in a temp dir, no plugins. epmd is started by
 * us (foreground, `-port` of our own) so the broker never spawns a daemon that would outlive the
 * test; it is stopped with the broker. Startup takes seconds: start one per test file. `restart()`
 * keeps the ports and the Mnesia dir (durable exchanges survive).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { makeHandle, type BrokerHandle } from './broker-handle.js';
import { freePort } from './free-port.js';
import { BrokerStartError, probeProtocol, spawnUntil, stopChild } from './process.js';
import { processTempDir } from './temp-dir.js';

export interface RabbitMqOptions {
  /** The broker start script. @default process.env.FSBUS_RABBITMQ_SERVER ?? '/usr/lib/rabbitmq/bin/rabbitmq-server' */
  binary?: string;
  /** Replace guest/guest by this user (all permissions on `/`). @default guest/guest */
  user?: { name: string; password: string };
  /** Readiness bound. @default 90000 */
  startTimeoutMs?: number;
  /** Also listen with TLS (`tlsUrl`, `amqps://`); clients need no certificate. */
  tls?: { certFile: string; keyFile: string };
}

export interface RabbitMqHandle extends BrokerHandle {
  readonly nodeName: string;
  /**
   * Runs `rabbitmqctl <args>` against this broker (its node, cookie and epmd port; the script
   * beside the server's) and resolves with its output: alarms, users, queues for fault tests.
   */
  ctl(...args: string[]): Promise<string>;
}

const AMQP_HEADER = Uint8Array.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
/** epmd's NAMES_REQ: it answers with its own port (4 bytes) and the nodes it knows. */
const EPMD_NAMES = Uint8Array.from([0, 1, 110]);
/** Printed by `epmd -d -d` once it listens; "epmd running" comes before the bind, even when the port is taken. */
const EPMD_LISTENING = /entering the main select\(\) loop/;

export async function startRabbitMq(options: RabbitMqOptions = {}): Promise<RabbitMqHandle> {
  const bin = options.binary ?? process.env['FSBUS_RABBITMQ_SERVER'] ?? '/usr/lib/rabbitmq/bin/rabbitmq-server';
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const temp = processTempDir('fsbus-rabbitmq-');
  const dir = temp.dir;
  const nodeName = `fsbus-${randomBytes(4).toString('hex')}@localhost`;
  try {
    await mkdir(join(dir, 'mnesia'));
    await mkdir(join(dir, 'log'));
    await writeFile(join(dir, 'enabled_plugins'), '[].\n');
    await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  } catch (err) {
    temp.remove();
    throw err;
  }
  let epmdPort = -1;
  let distPort = -1;
  let broker: ChildProcess | undefined;
  let epmd: ChildProcess | undefined;
  let tlsPort: number | undefined;

  const launch = async (port: number): Promise<void> => {
    const conf = [
      `listeners.tcp.1 = 127.0.0.1:${port}`,
      'loopback_users = none',
      'log.console = true',
      'log.console.level = info',
      'log.file = false',
    ];
    if (options.user !== undefined) conf.push(`default_user = ${options.user.name}`, `default_pass = ${options.user.password}`);
    if (options.tls !== undefined && tlsPort !== undefined) {
      const t = options.tls;
      conf.push(
        `listeners.ssl.1 = 127.0.0.1:${tlsPort}`,
        `ssl_options.certfile = ${t.certFile}`,
        `ssl_options.keyfile = ${t.keyFile}`,
        `ssl_options.cacertfile = ${t.certFile}`,
        'ssl_options.verify = verify_none',
        'ssl_options.fail_if_no_peer_cert = false',
      );
    }
    await writeFile(join(dir, 'rabbitmq.conf'), `${conf.join('\n')}\n`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: dir, // the Erlang cookie lives here, not in the user's home
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
    };
    // A taken port: epmd says "there is already a epmd running at port N" and exits 0.
    const e = await spawnUntil('epmd', ['-d', '-d', '-port', String(epmdPort), '-address', '127.0.0.1'], EPMD_LISTENING, timeoutMs, { env, cwd: dir });
    epmd = e.child;
    epmd.stdout?.resume();
    epmd.stderr?.resume();
    const names = await probeProtocol('127.0.0.1', epmdPort, EPMD_NAMES, timeoutMs);
    if (names.length < 4 || names.readUInt32BE(0) !== epmdPort || epmd.exitCode !== null) {
      throw new BrokerStartError(`epmd on port ${epmdPort} is not ours:\n${e.log()}`);
    }
    const started = await spawnUntil(bin, [], /Server startup complete/, timeoutMs, { env, cwd: dir }).catch((err: unknown) => {
      if (err instanceof BrokerStartError && /ENOENT/.test(err.message)) {
        throw new BrokerStartError(`${bin} not found: run ./scripts/setup (installs the Debian package rabbitmq-server)`);
      }
      throw err;
    });
    broker = started.child;
    broker.stdout?.resume();
    broker.stderr?.resume();
    // Ready means it answers the AMQP protocol header with connection.start (a method frame, type 1).
    const answer = await probeProtocol('127.0.0.1', port, AMQP_HEADER, timeoutMs);
    if (answer[0] !== 1) throw new BrokerStartError(`unexpected answer from RabbitMQ: ${answer.subarray(0, 16).toString('hex')}`);
  };

  const handle = await makeHandle({
    scheme: 'amqp',
    pickPort: async () => {
      const port = await freePort();
      epmdPort = await freePort();
      distPort = await freePort();
      tlsPort = options.tls === undefined ? undefined : await freePort();
      return port;
    },
    launch,
    halt: async () => {
      const b = broker;
      const p = epmd;
      broker = undefined;
      epmd = undefined;
      // The start script turns SIGTERM into an orderly `rabbitmqctl stop` and exits after the VM.
      if (b !== undefined) await stopChild(b, 30_000);
      if (p !== undefined) await stopChild(p);
    },
    cleanup: () => temp.remove(),
    portInUse: (err) => /eaddrinuse|Address already in use|already a epmd running/i.test(String(err)),
    ...(options.tls === undefined ? {} : { tls: { scheme: 'amqps', port: () => tlsPort } }),
  });
  const ctl = async (...args: string[]): Promise<string> => {
    const env = { ...process.env, HOME: dir, ERL_EPMD_PORT: String(epmdPort), ERL_EPMD_ADDRESS: '127.0.0.1' };
    const { stdout } = await promisify(execFile)(join(dirname(bin), 'rabbitmqctl'), ['-n', nodeName, ...args], { env, cwd: dir, timeout: 60_000 });
    return stdout;
  };
  return Object.assign(handle, { nodeName, ctl });
}
