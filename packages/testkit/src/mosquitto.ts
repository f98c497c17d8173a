/**
 * Runs the real `mosquitto` (Debian package `mosquitto`, installed by scripts/setup) on a free
 * loopback port with a generated config in its own temp dir (anonymous or one user, no persistence).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { makeHandle, type BrokerHandle } from './broker-handle.js';
import { freePort } from './free-port.js';
import { BrokerStartError, probeProtocol, spawnUntil, stopChild } from './process.js';
import { processTempDir } from './temp-dir.js';

export interface MosquittoOptions {
  /** @default process.env.FSBUS_MOSQUITTO ?? 'mosquitto' */
  binary?: string;
  /** Require this user/password (anonymous refused). @default anonymous allowed */
  user?: { name: string; password: string };
  /** Readiness bound. @default 20000 */
  startTimeoutMs?: number;
  /** Also listen with TLS (`tlsUrl`, `mqtts://`); clients need no certificate. */
  tls?: { certFile: string; keyFile: string };
  /** Lines of an `acl_file` (e.g. `topic read freeswitch/node/#`): what clients may publish/subscribe. @default none (everything allowed) */
  acl?: readonly string[];
  /**
   * `max_packet_size`: the broker disconnects a client that sends a larger packet, and says it in
   * its MQTT 5 CONNACK (Maximum Packet Size). Read at every (re)start, so a test can change it
   * between halt() and start(). @default none (mosquitto's own limit)
   */
  maxPacketBytes?: number;
  /**
   * More lines of the broker's own configuration (global options such as `message_size_limit
   * 4096`), written before any TLS listener. @default none
   */
  config?: readonly string[];
}

/** MQTT 3.1.1 CONNECT, clean session, empty client id: the broker answers CONNACK (0x20). */
const CONNECT = Uint8Array.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);

export async function startMosquitto(options: MosquittoOptions = {}): Promise<BrokerHandle> {
  const bin = options.binary ?? process.env['FSBUS_MOSQUITTO'] ?? 'mosquitto';
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const temp = processTempDir('fsbus-mosquitto-');
  const dir = temp.dir;
  const conf = join(dir, 'mosquitto.conf');
  let child: ChildProcess | undefined;
  let tlsPort: number | undefined;

  if (options.user !== undefined) {
    // mosquitto_passwd hashes the password into the file mosquitto reads.
    const pwfile = join(dir, 'passwd');
    try {
      await writeFile(pwfile, '');
      await promisify(execFile)('mosquitto_passwd', ['-b', pwfile, options.user.name, options.user.password]);
    } catch (err) {
      temp.remove();
      throw err;
    }
  }

  const launch = async (port: number): Promise<void> => {
    const lines = [
      `listener ${port} 127.0.0.1`,
      `allow_anonymous ${options.user === undefined ? 'true' : 'false'}`,
      'persistence false',
      // Off by default in mosquitto: Nagle against delayed ACKs then costs ~40 ms per small reply.
      'set_tcp_nodelay true',
      'log_dest stderr', // unbuffered: readiness is read from it
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
    ];
    if (options.maxPacketBytes !== undefined) lines.push(`max_packet_size ${options.maxPacketBytes}`);
    if (options.config !== undefined) lines.push(...options.config);
    if (options.user !== undefined) lines.push(`password_file ${join(dir, 'passwd')}`);
    if (options.acl !== undefined) {
      await writeFile(join(dir, 'acl'), `${options.acl.join('\n')}\n`);
      lines.push(`acl_file ${join(dir, 'acl')}`);
    }
    if (options.tls !== undefined && tlsPort !== undefined) {
      // certfile/keyfile after a listener line belong to that listener.
      lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${options.tls.certFile}`, `keyfile ${options.tls.keyFile}`);
    }
    // As root, mosquitto would drop to the `mosquitto` user, who cannot read our private temp dir.
    if (process.getuid?.() === 0) lines.push('user root');
    await writeFile(conf, `${lines.join('\n')}\n`);
    const started = await spawnUntil(bin, ['-c', conf], /mosquitto version \S+ running/, timeoutMs).catch((err: unknown) => {
      if (err instanceof BrokerStartError && /ENOENT/.test(err.message)) {
        throw new BrokerStartError(`${bin} not found: run ./scripts/setup (installs the Debian package mosquitto)`);
      }
      throw err;
    });
    child = started.child;
    child.stdout?.resume();
    child.stderr?.resume();
    const answer = await probeProtocol('127.0.0.1', port, CONNECT, timeoutMs);
    if (answer[0] !== 0x20) throw new BrokerStartError(`unexpected answer from mosquitto: ${answer.toString('hex')}`);
  };

  return makeHandle({
    scheme: 'mqtt',
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
    ...(options.tls === undefined ? {} : { tls: { scheme: 'mqtts', port: () => tlsPort } }),
  });
}
