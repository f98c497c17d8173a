/**
 * An agent on a given ESL port and broker, its JSON log kept, with a bus client: the rig of the
 * tests of faults the agent must make visible (fault-visibility, esl-faults, channel-reconcile),
 * and `withAgent`, that rig run on a NATS server of its own and stopped after the test.
 */
import { pino } from 'pino';
import { Agent, loadConfig, type AgentConfigInput } from '@fsbus/agent';
import { decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { createDriver, type Driver, type InboundMessage } from '@fsbus/transport';
import { startNatsServer } from '@fsbus/testkit';
import type { FakeFreeSwitch } from './fake-freeswitch.js';
import { enc, jsonLineSink, until } from './cluster.js';
import { httpGet } from './http-get.js';

export type Log = Record<string, unknown>;

export interface Rig {
  agent: Agent;
  logs: Log[];
  client: Driver;
  request(body: string): Promise<ReplyEnvelope>;
  metric(name: string): Promise<number | undefined>;
  counters(): Record<string, number>;
  stop(): Promise<void>;
}

export interface RigOptions {
  eslPort: number;
  brokerUrl: string;
  config?: AgentConfigInput;
  env?: Record<string, string>;
  clientAuth?: { user: string; password: string };
  waitReady?: boolean;
}

/** An agent on `eslPort` and `brokerUrl`, its JSON log kept, and a bus client (`clientAuth` for a server with users). */
export async function startAgent(opts: RigOptions): Promise<Rig> {
  const logs: Log[] = [];
  const sink = jsonLineSink(logs);
  const config = loadConfig({
    values: {
      ...opts.config,
      node_id: 'node-1',
      broker: { ...opts.config?.broker, urls: [opts.brokerUrl] },
      esl: { pool_size: 1, ...opts.config?.esl, host: '127.0.0.1', port: opts.eslPort },
      metrics: { port: 0, host: '127.0.0.1' },
    },
    env: opts.env ?? {},
  });
  const agent = new Agent(config, { logger: pino({ level: 'info' }, sink) });
  await agent.start();
  if (opts.waitReady !== false) await until(agent, () => agent.ready, 'agent ready');
  const client = await createDriver('nats', { urls: [opts.brokerUrl], name: 'test-client', ...(opts.clientAuth === undefined ? {} : { auth: opts.clientAuth }) });
  await client.connect();
  return {
    agent,
    logs,
    client,
    async request(body) {
      return decodeReply((await client.request('freeswitch.node.node-1', enc(body), { timeoutMs: 10_000 })).data);
    },
    async metric(name) {
      const text = (await httpGet(agent.httpPort!, '/metrics')).body;
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    },
    counters: () => agent.status()['counters'] as Record<string, number>,
    async stop() {
      await client.close();
      await agent.stop();
    },
  };
}

/** FreeSWITCH's side of a test (a simulator, a FakeFreeSwitch): the port it listens on, and how to stop it. */
export interface EslPeer {
  port: number;
  stop(): Promise<void>;
}

/** `fs` listening, as the agent's peer. */
export async function listening(fs: FakeFreeSwitch): Promise<EslPeer> {
  return { port: await fs.listen(), stop: () => fs.close() };
}

/**
 * Runs `body` with a NATS server and an agent (startAgent) on `peer`'s port, then stops the agent,
 * `peer` and the NATS server, in that order, whether `body` passed or not. A body that looks at
 * the agent once stopped stops it itself with `stopAgent` (it is stopped only once).
 */
export async function withAgent(peer: EslPeer, opts: Omit<RigOptions, 'eslPort' | 'brokerUrl'>, body: (rig: Rig, stopAgent: () => Promise<void>) => Promise<void>): Promise<void> {
  const nats = await startNatsServer();
  let rig: Rig | undefined;
  try {
    rig = await startAgent({ ...opts, eslPort: peer.port, brokerUrl: nats.url });
    const started = rig;
    await body(started, async () => {
      await started.stop();
      rig = undefined;
    });
  } finally {
    await rig?.stop();
    await peer.stop();
    await nats.stop();
  }
}

/** Resolves with the first message matching `pred` on `subject`; bounded. */
export function nextMessage(client: Driver, subject: string, pred: (m: InboundMessage) => boolean): Promise<InboundMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void sub.unsubscribe();
      reject(new Error(`nothing on ${subject}`));
    }, 15_000);
    const sub = client.subscribe(subject, (m) => {
      if (!pred(m)) return;
      clearTimeout(timer);
      void sub.unsubscribe();
      resolve(m);
    });
  });
}

export const linesOf = (logs: Log[], msg: string) => logs.filter((l) => l['msg'] === msg);
/** How many occurrences rate-limited lines stand for: 1 each, or `suppressed` for a summary line. */
export const occurrences = (lines: Log[]) => lines.reduce((n, l) => n + (typeof l['suppressed'] === 'number' ? l['suppressed'] : 1), 0);
