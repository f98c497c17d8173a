/**
 * Demo-like wiring for the dashboard tests, all in-process on free ports: a real nats-server
 * (testkit), a simulated FreeSWITCH, an agent, and the dashboard server.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { startWeb, type Dashboard, type StartWebOptions, type WebServer } from '@fsbus/web';

export interface WiredNode {
  id: string;
  sim: Simulator;
  agent: Agent;
}

export interface Wiring {
  nats: NatsServerHandle;
  /** The nodes, in the order of the ids given. */
  nodes: WiredNode[];
  web: WebServer;
  /** Starts the dashboard again (after web.close()) on the same port, options changed by `overrides`. */
  restartWeb(overrides?: Partial<StartWebOptions>): Promise<WebServer>;
  stop(): Promise<void>;
}

/** Resolves once `check()` holds, re-checked on every signal `on` reports; the bound fails the test. */
function until(on: (listener: () => void) => () => void, check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = on(() => {
      if (!check()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Resolves once `check()` holds, re-checked on every agent state change. */
export function agentUntil(agent: Agent, check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  return until((l) => agent.onStateChange(l), check, what, timeoutMs);
}

/** Resolves once `check()` holds, re-checked on every dashboard update. */
export function dashboardUntil(dashboard: Dashboard, check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  return until((l) => dashboard.onUpdate(l), check, what, timeoutMs);
}

/** One simulated FreeSWITCH + agent per node id, one nats-server, one dashboard. */
export async function startWiring(
  nodeIds: readonly string[] = ['fs-node-01'],
  webOptions: StartWebOptions = {},
  natsOptions: Parameters<typeof startNatsServer>[0] = {},
): Promise<Wiring> {
  const nats = await startNatsServer(natsOptions);
  const nodes: WiredNode[] = [];
  let web: WebServer | undefined;
  const stop = async (): Promise<void> => {
    await web?.close();
    for (const n of nodes) await n.agent.stop();
    for (const n of nodes) await n.sim.stop();
    await nats.stop();
  };
  try {
    for (const id of nodeIds) {
      const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: id });
      const { port } = await sim.start();
      const quiet = new Writable({ write: (_c, _e, cb) => cb() });
      const config = loadConfig({
        values: {
          node_id: id,
          broker: { urls: [nats.url] },
          esl: { host: '127.0.0.1', port },
          metrics: { port: 0, host: '127.0.0.1' },
          dialplan: { port: 0, host: '127.0.0.1' },
        },
        env: {},
      });
      const agent = new Agent(config, { logger: pino({ level: 'warn' }, quiet) });
      nodes.push({ id, sim, agent });
      await agent.start();
      await agentUntil(agent, () => agent.ready, `${id} ready`);
    }
    // No stall check unless a test asks: these simulators send no HEARTBEAT, and a slow run of a
    // quiet node would pass the bound.
    const options: StartWebOptions = { port: 0, bus: { servers: [nats.url] }, pollIntervalMs: 500, gatherTimeoutMs: 300, eventStallMs: 0, ...webOptions };
    web = await startWeb(options);
    await web.busReady;
    return {
      nats,
      nodes,
      get web() {
        if (web === undefined) throw new Error('dashboard not running');
        return web;
      },
      async restartWeb(overrides = {}) {
        const port = web?.port ?? 0;
        web = await startWeb({ ...options, ...overrides, port });
        await web.busReady;
        return web;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
