/** For the example tests: resolves once the agent is ready (broker and FreeSWITCH), re-checked on each state change. */
import type { Agent } from '@fsbus/agent';

export function agentReady(agent: Agent, timeoutMs = 30_000): Promise<void> {
  if (agent.ready) return Promise.resolve();
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      off();
      rej(new Error(`agent not ready (broker ${agent.brokerStatus}, esl ${agent.eslStatus})`));
    }, timeoutMs);
    const off = agent.onStateChange(() => {
      if (!agent.ready) return;
      clearTimeout(timer);
      off();
      res();
    });
  });
}
