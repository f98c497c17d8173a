/**
 * Test stack: a real nats-server (test kit) and simulated FreeSWITCH nodes (@fsbus/sim, port 0),
 * each bridged by an in-process agent; the client under test connects with `connect()`.
 * Everything is waited for by event, never by sleeping.
 */
import { Agent, loadConfig, type AgentConfigInput } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import type { Driver } from '@fsbus/transport';
import { connect, type FsbusClient } from '../../src/index.js';

export interface StackNode {
  id: string;
  sim: Simulator;
  agent: Agent;
}

/** A running broker (every test-kit handle fits). */
export interface Broker {
  readonly url: string;
  stop(): Promise<void>;
}

export interface Stack {
  broker: Broker;
  nodes: StackNode[];
  bus: FsbusClient;
  stop(): Promise<void>;
}

/** Resolves when `check()` holds, re-checked on each agent state change; the bound fails the test. */
export function untilAgent(agent: Agent, check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = agent.onStateChange(() => {
      if (!check()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

export interface StackOptions {
  nodes?: number;
  /** NATS only. */
  jetstream?: boolean;
  config?: AgentConfigInput;
  /** @default 'nats' with a test-kit nats-server */
  driver?: string;
  startBroker?: () => Promise<Broker>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const driver = options.driver ?? 'nats';
  const broker = await (options.startBroker ?? (() => startNatsServer({ jetstream: options.jetstream ?? false })))();
  const nodes: StackNode[] = [];
  let bus: FsbusClient | undefined;
  const stop = async (): Promise<void> => {
    await bus?.close();
    for (const n of nodes) await n.agent.stop();
    for (const n of nodes) await n.sim.stop();
    await broker.stop();
  };
  try {
    for (let i = 0; i < (options.nodes ?? 1); i++) {
      const id = `node-${i + 1}`;
      const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: id });
      const { port } = await sim.start();
      const base = options.config ?? {};
      const agent = new Agent(
        loadConfig({
          values: {
            ...base,
            node_id: id,
            driver,
            log_level: 'silent',
            broker: { urls: [broker.url] },
            esl: { host: '127.0.0.1', port },
            metrics: { enabled: false },
          },
          env: {},
        }),
      );
      nodes.push({ id, sim, agent });
      await agent.start();
      await untilAgent(agent, () => agent.ready, `${id} ready`);
    }
    const prefix = (options.config as { subject_prefix?: string } | undefined)?.subject_prefix;
    bus = await connect({ driver, servers: broker.url, timeoutMs: 5000, ...(prefix === undefined ? {} : { prefix }) });
  } catch (err) {
    await stop();
    throw err;
  }
  return { broker, nodes, bus, stop };
}

/** Reads `stream` until `done(event)` is true; the bound fails the test. */
export async function collectUntil<T>(stream: AsyncIterable<T>, done: (item: T, all: T[]) => boolean, what: string, timeoutMs = 15_000): Promise<T[]> {
  const all: T[] = [];
  const iterator = stream[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} (${all.length} items so far)`)), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), expired]);
      if (next.done === true) throw new Error(`stream ended before ${what}`);
      all.push(next.value);
      if (done(next.value, all)) return all;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once `check()` holds, re-checked after each broker round trip (a flush, never a
 * timer): for state that follows from messages the broker is sending. The bound fails the test.
 */
export async function untilFlushed(driver: Driver, check: () => boolean, what: string, rounds = 2000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (check()) return;
    await driver.flush();
  }
  if (!check()) throw new Error(`${what}: not after ${rounds} broker round trips`);
}
