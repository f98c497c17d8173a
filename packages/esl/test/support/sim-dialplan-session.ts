/**
 * An outbound session from @fsbus/sim run by the dialplan, as FreeSWITCH runs `socket` from an
 * extension: `socket 127.0.0.1:<port> <flags>` — without `async`, a `static` session on the
 * channel's own thread. An inbound client originates `loopback/8000`, whose B-leg runs it.
 */
import { Simulator } from '@fsbus/sim';
import { EslClient, EslServer, type EslServerOptions, type EslSession } from '../../src/index.js';
import { bounded, nextEvent } from './scripted-peer.js';

export interface DialplanSessionContext {
  session: EslSession;
  server: EslServer;
  client: EslClient;
  sim: Simulator;
}

/**
 * `flags`: what follows the address in the socket application's data (`full`, `async full`, '' …).
 * `prepare`: called with the server before it listens (its own 'session' or 'error' listeners).
 */
export async function withDialplanSession(
  flags: string,
  fn: (ctx: DialplanSessionContext) => Promise<void>,
  serverOptions: EslServerOptions = {},
  prepare?: (server: EslServer) => void,
): Promise<void> {
  const server = new EslServer({ port: 0, requestTimeoutMs: 3000, ...serverOptions });
  prepare?.(server);
  const { port } = await server.listen();
  const actions = [{ application: 'socket', data: `127.0.0.1:${port} ${flags}`.trim() }];
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, dialplan: { default: [{ name: 'sock', conditions: [{ field: 'destination_number', expression: '^8000$', actions }] }] } });
  const { port: simPort } = await sim.start();
  const client = new EslClient({ port: simPort });
  try {
    await client.connect();
    const sessionP = nextEvent<[EslSession]>(server, 'session');
    // The command reply only: the job's result waits for the B-leg to answer.
    await client.sendRecv('bgapi originate loopback/8000 &park()');
    const [session] = await bounded(sessionP, 'the outbound session');
    await fn({ session, server, client, sim });
  } finally {
    await client.close();
    await server.close();
    await sim.stop();
  }
}
