/** Bus-side helpers for the bus suites: client drivers, the agent's readiness, its counters. */
import { createDriver, type Driver } from '@fsbus/transport';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentChild } from './children.js';

const enc = new TextEncoder();

export async function connectClient(driver: string, url: string, name: string): Promise<Driver> {
  const d = await createDriver(driver, { urls: [url], name, connectTimeoutMs: 10_000 });
  await d.connect();
  return d;
}

export interface AgentStatus {
  esl: { status: string; command_connections_ready: number };
  counters: Record<string, number>;
}

/** `agent.status` on the agent's own lane. */
export async function agentStatus(client: Driver, agent: AgentChild, timeoutMs = 5000): Promise<AgentStatus> {
  const reply = await client.request(`freeswitch.node.${agent.nodeId}`, enc.encode('{"command":"agent.status"}'), { timeoutMs });
  const env = JSON.parse(Buffer.from(reply.data).toString('utf8')) as { success: boolean; data: AgentStatus; message: string };
  if (!env.success) throw new Error(`agent.status failed: ${env.message}`);
  return env.data;
}

/**
 * Waits until the agent answers on the bus with its event connection and every command
 * connection ready — polled, bounded by `timeoutMs` (a harness wait, not a test).
 */
export async function waitAgentReady(client: Driver, agent: AgentChild, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (agent.child.exitCode !== null) throw new Error(`agent exited (${agent.child.exitCode}):\n${agent.log()}`);
    try {
      const s = await agentStatus(client, agent, 1000);
      if (s.esl.status === 'ready' && s.esl.command_connections_ready === agent.poolSize) return;
      last = JSON.stringify(s.esl);
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`agent not ready after ${timeoutMs} ms (${last}):\n${agent.log()}`);
}
