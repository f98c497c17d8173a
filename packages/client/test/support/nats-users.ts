/**
 * A nats-server whose users have the permissions given (the test kit's spawnUntil; the server
 * picks its port), and one node: a simulated FreeSWITCH bridged by a real agent that logs in as
 * the `agent` user. For tests of what one client may do to another on a shared broker.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { processTempDir, spawnUntil, stopChild } from '@fsbus/testkit';
import { untilAgent } from './stack.js';

export interface NatsUser {
  user: string;
  password: string;
  publish: readonly string[];
  subscribe: readonly string[];
}

/** The agent's own user: every subject (lanes, events, replies, forward_to copies). */
export const AGENT_USER: NatsUser = { user: 'agent', password: 'agent-pw', publish: ['>'], subscribe: ['>'] };

export interface UsersNode {
  readonly url: string;
  readonly sim: Simulator;
  readonly agent: Agent;
  stop(): Promise<void>;
}

const list = (subjects: readonly string[]): string => `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;

export async function startNodeWithUsers(users: readonly NatsUser[], nodeId = 'node-1'): Promise<UsersNode> {
  const dir = processTempDir('fsbus-nats-users-');
  const conf = join(dir.dir, 'nats.conf');
  const entries = [AGENT_USER, ...users].map(
    (u) => `  { user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}, permissions: { publish: ${list(u.publish)}, subscribe: ${list(u.subscribe)} } }`,
  );
  writeFileSync(conf, `authorization { users = [\n${entries.join('\n')}\n] }\n`);
  const nats = await spawnUntil('nats-server', ['-a', '127.0.0.1', '-p', '-1', '-c', conf], /Listening for client connections on [^\s]*:(\d+)[\s\S]*Server is ready/, 20_000);
  nats.child.stdout?.resume();
  nats.child.stderr?.resume();
  const url = `nats://127.0.0.1:${nats.match[1]}`;
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: nodeId });
  let agent: Agent | undefined;
  const stop = async (): Promise<void> => {
    await agent?.stop();
    await sim.stop();
    await stopChild(nats.child);
    dir.remove();
  };
  try {
    const { port } = await sim.start();
    agent = new Agent(
      loadConfig({
        values: { node_id: nodeId, log_level: 'silent', broker: { urls: [url], user: AGENT_USER.user }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false } },
        env: { FSBUS_BROKER_PASSWORD: AGENT_USER.password },
      }),
    );
    await agent.start();
    const started = agent;
    await untilAgent(started, () => started.ready, `${nodeId} ready`);
    return { url, sim, agent: started, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
