/** A simulated FreeSWITCH node bridged onto a real nats-server by a real, ready agent: what the CLI talks to. */
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';

export interface BridgedNode {
  nats: NatsServerHandle;
  sim: Simulator;
  agent: Agent;
  stop(): Promise<void>;
}

function agentReady(agent: Agent): Promise<void> {
  if (agent.ready) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('agent not ready')), 15_000);
    const off = agent.onStateChange(() => {
      if (!agent.ready) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Resolves once the agent is ready; a failed start stops what it had started. */
export async function startBridgedNode(nodeId: string): Promise<BridgedNode> {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: nodeId });
  let agent: Agent | undefined;
  const stop = async (): Promise<void> => {
    await agent?.stop();
    await sim.stop();
    await nats.stop();
  };
  try {
    const { port } = await sim.start();
    agent = new Agent(
      loadConfig({
        values: { node_id: nodeId, log_level: 'silent', broker: { urls: [nats.url] }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false } },
        env: {},
      }),
    );
    await agent.start();
    await agentReady(agent);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nats, sim, agent, stop };
}
