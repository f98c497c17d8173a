/**
 * Simulated FreeSWITCH nodes, each bridged by a real agent, on one real nats-server: the cluster the
 * CLI's multi-node tests run `fsbus` against (as child processes, through `env`).
 */
import { Agent, loadConfig, type AgentConfigInput } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { cliEnv } from './run-cli.js';

export interface CliCluster {
  nats: NatsServerHandle;
  sims: Simulator[];
  agents: Agent[];
  /** The environment a `fsbus` child needs to reach this cluster (no demo state). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** Resolves once `check()` holds, re-checked on each state change of the agent; the bound fails the test. */
export function agentUntil(agent: Agent, check: () => boolean, what: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 15_000);
    const off = agent.onStateChange(() => {
      if (!check()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** The agent's shared lanes state (`joined`, `left`…), from its status. */
export const lanesState = (agent: Agent): unknown => (agent.status()['shared_lanes'] as { state?: unknown } | undefined)?.state;

/**
 * One node per id, each agent ready and on the shared lanes before the next starts; `config` adds
 * to every agent's config, or to each node's (e.g. a commands allowlist). A failed start stops what
 * it had started.
 */
export async function startCliCluster(ids: readonly string[], config: AgentConfigInput | ((id: string) => AgentConfigInput) = {}): Promise<CliCluster> {
  const nats = await startNatsServer();
  const sims: Simulator[] = [];
  const agents: Agent[] = [];
  const stop = async (): Promise<void> => {
    for (const a of agents) await a.stop();
    for (const s of sims) await s.stop();
    await nats.stop();
  };
  try {
    for (const id of ids) {
      const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: id });
      sims.push(sim);
      const { port } = await sim.start();
      const values = { ...(typeof config === 'function' ? config(id) : config), node_id: id, log_level: 'silent', broker: { urls: [nats.url] }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false } };
      const agent = new Agent(loadConfig({ values, env: {} }));
      agents.push(agent);
      await agent.start();
      await agentUntil(agent, () => agent.ready && lanesState(agent) === 'joined', `${id} ready on the shared lanes`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nats, sims, agents, env: cliEnv({ FSBUS_BROKER_URL: nats.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' }), stop };
}
