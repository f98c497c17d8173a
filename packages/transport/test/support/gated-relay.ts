/**
 * A TCP relay to a local port whose new connections are held (accepted, not piped) between hold()
 * and release(): a client's reconnect is let through only once the test has done what must come
 * first (a publisher appending after a broker restart, before a consumer's reader is back).
 */
import { connect as netConnect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface GatedRelay {
  readonly url: string;
  /** New connections are accepted and held (not piped) until release(). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function gatedRelay(port: number): Promise<GatedRelay> {
  const open = new Set<Socket>();
  let held: Socket[] | undefined;
  const pipe = (client: Socket): void => {
    const upstream = netConnect(port, '127.0.0.1');
    upstream.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const server = createServer((client) => {
    client.on('error', () => undefined);
    open.add(client);
    client.on('close', () => open.delete(client));
    if (held === undefined) pipe(client);
    else held.push(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: () => void (held ??= []),
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const c of waiting) if (!c.destroyed) pipe(c);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
