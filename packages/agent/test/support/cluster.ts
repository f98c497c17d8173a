/**
 * Test harness: a real nats-server (test kit), simulated FreeSWITCH nodes (@fsbus/sim) on port 0,
 * one agent per node, and a bus client. Everything is waited for by event, never by sleeping.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent, loadConfig, type AgentConfigInput, type AgentOptions } from '@fsbus/agent';
import { decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { EslClient, EslEvent } from '@fsbus/esl';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Resolves when `check()` holds, re-checked on each agent state change; the bound fails the test. */
export function until(agent: Agent, check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what} (broker ${agent.brokerStatus}, esl ${agent.eslStatus})`));
    }, timeoutMs);
    const off = agent.onStateChange(() => {
      if (!check()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Resolves once a driver is connected (now or later); the bound fails the test. */
export function driverConnected(driver: Driver, timeoutMs = 15_000): Promise<void> {
  if (driver.status === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`driver stayed ${driver.status}`));
    }, timeoutMs);
    const off = driver.on((e) => {
      if (e.type !== 'status' || e.status !== 'connected') return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

export interface Node {
  id: string;
  sim: Simulator;
  agent: Agent;
  /** Audit/log lines the agent wrote (JSON). */
  logs: Array<Record<string, unknown>>;
}

/** The broker a cluster runs on (a test-kit handle: nats-server, RabbitMQ, Redis, Mosquitto…). */
export interface ClusterBroker {
  readonly url: string;
  halt(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Cluster {
  /** The broker (named `nats` for the tests written before other drivers; same object as `broker`). */
  nats: ClusterBroker;
  broker: ClusterBroker;
  /** Driver name the agents and the client use. */
  driver: string;
  nodes: Node[];
  client: Driver;
  request(subject: string, body: string | Uint8Array, timeoutMs?: number): Promise<ReplyEnvelope>;
  /** Starts another agent for an existing node's simulator (same node id). */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  jetstream?: boolean;
  /** Config overrides for every agent (node_id, broker and esl are filled in). */
  config?: AgentConfigInput;
  /** Extra command settings for node i (0-based), e.g. a denylist on one node only. */
  commandsFor?: (i: number) => AgentConfigInput['commands'];
  env?: Record<string, string>;
  /** Constructor options for every agent, e.g. an injected rate-limit window (the logger is the cluster's). */
  agentOptions?: Omit<AgentOptions, 'logger'>;
  /** Driver of the agents and the client. @default 'nats' */
  driver?: string;
  /** Starts the broker for `driver`. @default a nats-server (JetStream per `jetstream`) */
  startBroker?: () => Promise<ClusterBroker>;
  /** Brokerless drivers (zmq): the URLs agent i uses (it binds them). @default [broker.url] */
  agentUrls?: (i: number) => string[];
  /** Brokerless drivers (zmq): the URLs the client connects to. @default [broker.url] */
  clientUrls?: string[];
}

/** A stream for pino that keeps each JSON log line it gets in `logs`. */
export function jsonLineSink(logs: Array<Record<string, unknown>>): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const driver = options.driver ?? 'nats';
  const nats: ClusterBroker = options.startBroker === undefined ? await startNatsServer({ jetstream: options.jetstream ?? false }) : await options.startBroker();
  const nodes: Node[] = [];
  let client: Driver | undefined;
  const stop = async () => {
    await client?.close();
    for (const n of nodes) await n.agent.stop();
    for (const n of nodes) await n.sim.stop();
    await nats.stop();
  };
  try {
    for (let i = 0; i < (options.nodes ?? 1); i++) {
      const id = `node-${i + 1}`;
      const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
      const { port } = await sim.start();
      const logs: Array<Record<string, unknown>> = [];
      const sink = jsonLineSink(logs);
      const base = options.config ?? {};
      const config = loadConfig({
        values: {
          ...base,
          driver,
          node_id: id,
          commands: { ...(base.commands ?? {}), ...(options.commandsFor?.(i) ?? {}) },
          broker: { ...(base.broker ?? {}), urls: options.agentUrls?.(i) ?? [nats.url] },
          esl: { ...(base.esl ?? {}), host: '127.0.0.1', port },
          metrics: { port: 0, host: '127.0.0.1', ...(base.metrics ?? {}) },
        },
        env: options.env ?? {},
      });
      const agent = new Agent(config, { ...options.agentOptions, logger: pino({ level: 'info' }, sink) });
      nodes.push({ id, sim, agent, logs });
      await agent.start();
      await until(agent, () => agent.ready, `${id} ready`);
    }
    client = await createDriver(driver, { urls: options.clientUrls ?? [nats.url], name: 'test-client' });
    await client.connect();
  } catch (err) {
    await stop();
    throw err;
  }
  const bus = client;
  return {
    nats,
    broker: nats,
    driver,
    nodes,
    client: bus,
    async request(subject, body, timeoutMs = 5000) {
      const reply = await bus.request(subject, typeof body === 'string' ? enc(body) : body, { timeoutMs });
      return decodeReply(reply.data);
    },
    stop,
  };
}

/** An Event Socket client of a simulated node, to make FreeSWITCH emit events (sendevent). */
/** An agent's counter from its status (`counters.<name>`), 0 when absent. */
export const counter = (node: Node, name: string): number => (node.agent.status()['counters'] as Record<string, number>)[name] ?? 0;

/** Resolves with the first log line saying `msg` (already written, or when it is); the bound fails the test. */
export function logLine(node: Node, msg: string): Promise<Record<string, unknown>> {
  const seen = node.logs.find((l) => l['msg'] === msg);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line '${msg}'; warnings and errors: ${JSON.stringify(node.logs.filter((l) => (l['level'] as number) >= 40).map((l) => l['msg']))}`)), 15_000);
    const push = node.logs.push.bind(node.logs);
    node.logs.push = (...items: Array<Record<string, unknown>>) => {
      const hit = items.find((l) => l['msg'] === msg);
      if (hit !== undefined) {
        clearTimeout(timer);
        resolve(hit);
      }
      return push(...items);
    };
  });
}

export async function eslTo(sim: Simulator): Promise<EslClient> {
  const c = new EslClient({ host: '127.0.0.1', port: sim.address.port, password: 'ClueCon', reconnect: false });
  await c.connect();
  return c;
}

/** Emits `count` CUSTOM events with the given subclass through FreeSWITCH's own sendevent. */
export async function emitCustom(esl: EslClient, subclass: string, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const e = EslEvent.create('CUSTOM', subclass);
    e.addHeader('Seq', String(i));
    await esl.sendevent(e);
  }
}
