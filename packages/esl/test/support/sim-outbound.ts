/**
 * An outbound session from @fsbus/sim: an inbound client asks the simulator to originate a call
 * to `&socket(...)` on a real EslServer, and `fn` gets that session, the client and the simulator.
 */
import { Simulator } from '@fsbus/sim';
import { EslClient, EslServer, type EslSession } from '../../src/index.js';
import { bounded, nextEvent } from './scripted-peer.js';

/** `mode`: the socket application's flags. @default 'async full' */
export async function withOutboundSession(fn: (session: EslSession, client: EslClient, sim: Simulator) => Promise<void>, mode = 'async full'): Promise<void> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port: simPort } = await sim.start();
  const server = new EslServer({ port: 0, requestTimeoutMs: 3000 });
  const { port } = await server.listen();
  const client = new EslClient({ port: simPort });
  try {
    await client.connect();
    const sessionP = nextEvent<[EslSession]>(server, 'session');
    await client.bgapi(`originate loopback/7001 &socket(127.0.0.1:${port} ${mode})`);
    const [session] = await bounded(sessionP, 'the outbound session');
    await fn(session, client, sim);
  } finally {
    await client.close();
    await server.close();
    await sim.stop();
  }
}
