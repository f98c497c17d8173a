/**
 * Stand-in agents for reply-shape tests: bare lanes on a real nats-server, node `<name>` answering
 * every request with the bytes its function gives, and a client connected to them.
 */
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { connect, type FsbusClient } from '../../src/index.js';

export interface FakeNodes {
  readonly nats: NatsServerHandle;
  /** The driver serving the nodes' lanes (serve more on it, e.g. the broadcast lane). */
  readonly lanes: Driver;
  readonly bus: FsbusClient;
  stop(): Promise<void>;
}

export async function startFakeNodes(replies: Record<string, () => Uint8Array>): Promise<FakeNodes> {
  const nats = await startNatsServer();
  const lanes = await createDriver('nats', { urls: [nats.url], name: 'lanes' });
  await lanes.connect();
  for (const [node, reply] of Object.entries(replies)) lanes.serve({ subject: `freeswitch.node.${node}`, competing: false }, reply);
  await lanes.flush();
  const bus = await connect({ servers: nats.url, timeoutMs: 5000 });
  return {
    nats,
    lanes,
    bus,
    async stop() {
      await bus.close();
      await lanes.close();
      await nats.stop();
    },
  };
}
