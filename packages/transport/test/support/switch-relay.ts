/**
 * A TCP relay that can be pointed at another broker: `switchTo(port)` drops every relayed
 * connection, and the client's reconnect reaches the other broker — one that holds other
 * credentials plays a broker whose password was changed while the client was away.
 * `accepting(n)` resolves once the n-th client connection was accepted (an attempt made).
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';

export async function startSwitchRelay(targetPort: number) {
  let target = targetPort;
  let accepted = 0;
  let waiters: Array<{ count: number; resolve: () => void }> = [];
  const open = new Set<Socket>();
  const server = createServer((client) => {
    accepted++;
    waiters = waiters.filter((w) => (accepted >= w.count ? (w.resolve(), false) : true));
    const upstream = connect(target, '127.0.0.1');
    open.add(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    get accepted() {
      return accepted;
    },
    accepting: (count: number): Promise<void> => (accepted >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    switchTo(port: number): void {
      target = port;
      for (const s of open) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
