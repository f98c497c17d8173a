/**
 * Runs Apache Kafka in KRaft mode (combined broker + controller, no ZooKeeper) from the jars that
 * scripts/setup copied from Maven Central into `.tools/kafka/lib` (see packages/testkit/kafka/pom.xml):
 * `java -cp lib/* kafka.Kafka server.properties`, on two free loopback ports, with its log dir in a
 * temp dir. Ready means a real Kafka Metadata request got an answer listing this broker.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { kafkaBrokerCount } from './kafka-probe.js';
import { freeze } from './freeze.js';
import { BrokerStartError, spawnUntil, stopChild } from './process.js';
import { processTempDir } from './temp-dir.js';

export interface KafkaOptions {
  /** Directory holding the Kafka jars. @default process.env.FSBUS_KAFKA_LIB ?? '<repo>/.tools/kafka/lib' */
  libDir?: string;
  /** @default process.env.FSBUS_JAVA ?? 'java' */
  java?: string;
  /** JVM heap. @default '512m' */
  heap?: string;
  /** Partitions of topics created without a count. @default 1 */
  partitions?: number;
  /** Clients must authenticate with SASL PLAIN as this user (url/port then point at that listener). @default none */
  sasl?: { user: string; password: string };
  /** Readiness bound. @default 60000 */
  startTimeoutMs?: number;
  /** Also open an SSL listener (`tlsUrl`) with this certificate (PEM, no keytool); clients need none. */
  tls?: { certFile: string; keyFile: string };
  /** The broker's `message.max.bytes` (the largest record batch it takes). @default Kafka's 1048588 */
  messageMaxBytes?: number;
}

export interface KafkaHandle {
  /** `kafka://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>`, what Kafka clients call a bootstrap server. */
  readonly bootstrap: string;
  readonly port: number;
  /** `kafka+ssl://127.0.0.1:<port>` of the SSL listener, when started with `tls`. */
  readonly tlsUrl?: string | undefined;
  readonly logDir: string;
  /** Stops the broker (SIGTERM, waits for exit); ports and data are kept for `start()`. */
  halt(): Promise<void>;
  /**
   * Freezes the broker (SIGSTOP): connections stay open and nothing is answered, as with a broker
   * stuck in a long GC pause or behind a dead network path. Resolves once every JVM thread is
   * stopped: until then a busy machine's broker may still answer (freeze.ts).
   */
  pause(): Promise<void>;
  /** Lets a paused broker run again (SIGCONT). */
  resume(): void;
  /** Starts it again on the same ports with the same data. */
  start(): Promise<void>;
  /** halt() then start(). */
  restart(): Promise<void>;
  /** Stops it for good and removes its temp dir. */
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding. One that starts
 * with `-` would read as an option on the storage tool's command line (1 start in 64 failed so):
 * drawn again, as Kafka's own Uuid.randomUuid() does.
 */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

interface Ports {
  port: number;
  controllerPort: number;
  /** The SASL PLAIN listener clients use, when `sasl` is set (the plain one stays for the broker itself). */
  saslPort?: number;
  /** The SSL listener, when `tls` is set. */
  tlsPort?: number;
}

/** JAAS quoting: a backslash or a quote would end the value. */
const jaas = (v: string) => `"${v.replace(/["\\]/g, '')}"`;

/** A PEM block as one properties value (Properties.load turns `\n` back into line feeds). */
const pemValue = (pem: string) => pem.trim().replace(/\r?\n/g, '\\n');

function listenerLines(o: Ports, sasl: KafkaOptions['sasl'], tlsPem: { chain: string; key: string } | undefined): string[] {
  const listeners = [`PLAINTEXT://127.0.0.1:${o.port}`];
  const protocols = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT'];
  const extra: string[] = [];
  if (sasl !== undefined && o.saslPort !== undefined) {
    listeners.push(`SASL://127.0.0.1:${o.saslPort}`);
    protocols.push('SASL:SASL_PLAINTEXT');
    extra.push(
      'listener.name.sasl.sasl.enabled.mechanisms=PLAIN',
      `listener.name.sasl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${sasl.user.replace(/[^A-Za-z0-9_-]/g, '')}=${jaas(sasl.password)};`,
    );
  }
  if (tlsPem !== undefined && o.tlsPort !== undefined) {
    listeners.push(`SSL://127.0.0.1:${o.tlsPort}`);
    protocols.push('SSL:SSL');
    extra.push(
      'listener.name.ssl.ssl.keystore.type=PEM',
      `listener.name.ssl.ssl.keystore.certificate.chain=${pemValue(tlsPem.chain)}`,
      `listener.name.ssl.ssl.keystore.key=${pemValue(tlsPem.key)}`,
      'listener.name.ssl.ssl.client.auth=none',
    );
  }
  return [
    `listeners=${[...listeners, `CONTROLLER://127.0.0.1:${o.controllerPort}`].join(',')}`,
    `advertised.listeners=${listeners.join(',')}`,
    `listener.security.protocol.map=${protocols.join(',')}`,
    ...extra,
  ];
}

function serverProperties(o: Ports & { logDir: string; partitions: number; sasl: KafkaOptions['sasl']; tlsPem?: { chain: string; key: string } | undefined; messageMaxBytes?: number | undefined }): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${o.controllerPort}`,
    ...listenerLines(o, o.sasl, o.tlsPem),
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${o.logDir}`,
    `num.partitions=${o.partitions}`,
    // One broker: every internal topic has one replica; small and quick for tests.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // fsbus creates its topics itself (the driver's contract: "created if missing").
    'auto.create.topics.enable=false',
    'log.segment.bytes=1048576',
    'log.retention.check.interval.ms=60000',
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    'log.cleaner.enable=false',
    ...(o.messageMaxBytes === undefined ? [] : [`message.max.bytes=${o.messageMaxBytes}`]),
    '',
  ].join('\n');
}

const LOG4J = [
  'log4j.rootLogger=WARN, stderr',
  'log4j.logger.kafka.server.KafkaRaftServer=INFO',
  'log4j.appender.stderr=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stderr.Target=System.err',
  'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n',
  '',
].join('\n');

/**
 * Starts Kafka. Its ports are picked free just before the JVM binds them, so another process may
 * take one in between: a start that failed on a port already in use is made again on new ports.
 */
export async function startKafka(options: KafkaOptions = {}): Promise<KafkaHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKafkaOnce(options);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof BrokerStartError) || !/Address already in use|BindException/.test(err.message)) throw err;
    }
  }
}

async function startKafkaOnce(options: KafkaOptions): Promise<KafkaHandle> {
  const libDir = options.libDir ?? process.env['FSBUS_KAFKA_LIB'] ?? join(REPO_ROOT, '.tools/kafka/lib');
  const java = options.java ?? process.env['FSBUS_JAVA'] ?? 'java';
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  if (!existsSync(libDir)) {
    throw new BrokerStartError(`Kafka jars not found in ${libDir}: run ./scripts/setup (copies them from Maven Central with mvn)`);
  }
  const port = await freePort();
  const controllerPort = await freePort();
  const saslPort = options.sasl === undefined ? undefined : await freePort();
  const tlsPort = options.tls === undefined ? undefined : await freePort();
  const tlsPem = options.tls === undefined ? undefined : { chain: await readFile(options.tls.certFile, 'utf8'), key: await readFile(options.tls.keyFile, 'utf8') };
  const temp = processTempDir('fsbus-kafka-');
  const dir = temp.dir;
  const logDir = join(dir, 'data');
  const clientPort = saslPort ?? port;
  const propsFile = join(dir, 'server.properties');
  const log4jFile = join(dir, 'log4j.properties');
  const jvm = [
    `-Xmx${options.heap ?? '512m'}`,
    '-Xms128m',
    '-XX:+UseSerialGC',
    // C1 only: the broker starts in about half the time and tests never run long enough for C2.
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4jFile}`,
    '-cp',
    `${libDir}/*`,
  ];
  let child: ChildProcess | undefined;

  try {
    await writeFile(propsFile, serverProperties({ port, controllerPort, ...(saslPort === undefined ? {} : { saslPort }), ...(tlsPort === undefined ? {} : { tlsPort }), tlsPem, logDir, partitions: options.partitions ?? 1, sasl: options.sasl, messageMaxBytes: options.messageMaxBytes }));
    await writeFile(log4jFile, LOG4J);
    // `kafka-storage.sh format`: writes meta.properties and the bootstrap metadata once.
    await promisify(execFile)(java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', propsFile], { timeout: timeoutMs });
  } catch (err) {
    temp.remove();
    const msg = (err as Error).message;
    throw new BrokerStartError(/ENOENT/.test(msg) ? `${java} not found: install Java 17 (scripts/setup)` : `kafka storage format failed: ${msg}`);
  }

  const launch = async (): Promise<void> => {
    const started = await spawnUntil(java, [...jvm, 'kafka.Kafka', propsFile], /Kafka Server started/, timeoutMs);
    child = started.child;
    child.stdout?.resume();
    child.stderr?.resume();
    // The log line is a hint; ready is a broker that answers a Metadata request with itself.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const brokers = await kafkaBrokerCount('127.0.0.1', port, 5000).catch(() => 0);
      if (brokers > 0) return;
      if (Date.now() > deadline) throw new BrokerStartError(`Kafka on port ${port} never answered a Metadata request:\n${started.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const halt = async (): Promise<void> => {
    const c = child;
    child = undefined;
    // A paused JVM would hold SIGTERM until continued.
    c?.kill('SIGCONT');
    if (c !== undefined) await stopChild(c, 20_000);
  };

  try {
    await launch();
  } catch (err) {
    await halt();
    temp.remove();
    throw err;
  }

  return {
    url: `kafka://127.0.0.1:${clientPort}`,
    bootstrap: `127.0.0.1:${clientPort}`,
    port: clientPort,
    tlsUrl: tlsPort === undefined ? undefined : `kafka+ssl://127.0.0.1:${tlsPort}`,
    logDir,
    halt,
    pause: () => freeze(child),
    resume: () => void child?.kill('SIGCONT'),
    start: async () => {
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
  };
}
