/** A TCP server that accepts and never answers: a Kafka broker that stalled, for the library's timeouts. */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';

export async function silentBroker() {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    // Reads (and ignores) what it is sent, so it sees a client's FIN and the socket can close.
    s.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    /** Resolves once every connection to it is closed (a connection left open fails the test by timeout). */
    idle: async () => {
      while (sockets.size > 0) await once([...sockets][0]!, 'close');
    },
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
