/**
 * A TCP relay in front of the shared broker, so ONE driver can lose its connection while the
 * others (and the broker) stay up: `cut()` closes every relayed socket and stops listening,
 * `restore()` listens again on the same port. `idle()` waits until no client socket is open,
 * `accepting(n)` until the n-th client connection was accepted.
 * `holdAnswers()` stops passing the broker's bytes to the clients (a link that dies one way
 * first): what the broker answers until the next cut() never arrives. `stall()` stops both ways
 * (`resume()` lets them pass again).
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface Relay {
  readonly port: number;
  /** Client connections accepted so far. */
  readonly accepted: number;
  /** Resolves once `count` client connections were accepted in all (a client dialled again). */
  accepting(count: number): Promise<void>;
  /** The broker URL with the relay's port (user-info, vhost and query kept). */
  url(brokerUrl: string): string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** The broker's bytes stop reaching the open client connections (cut() then drops them). */
  holdAnswers(): void;
  /** Nothing passes either way any more on the open connections (a link that hangs; cut() then drops them). */
  stall(): void;
  /** After stall(): both ways pass again, what waited first. */
  resume(): void;
  /** Resolves once every client connection is closed; the bound only fails the test. */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  const open = new Set<Socket>();
  const upstreams = new Map<Socket, Socket>();
  let idleWaiters: Array<() => void> = [];
  let acceptWaiters: Array<{ count: number; resolve: () => void }> = [];
  let server: Server | undefined;
  let port = 0;
  let accepted = 0;
  const settleIdle = () => {
    if (open.size > 0) return;
    for (const w of idleWaiters) w();
    idleWaiters = [];
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        accepted++;
        for (const w of acceptWaiters) if (accepted >= w.count) w.resolve();
        acceptWaiters = acceptWaiters.filter((w) => accepted < w.count);
        const upstream = connect(targetPort, '127.0.0.1');
        open.add(client);
        upstreams.set(client, upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        const end = () => {
          client.destroy();
          upstream.destroy();
          upstreams.delete(client);
          if (open.delete(client)) settleIdle();
        };
        for (const sock of [client, upstream]) {
          sock.on('error', end);
          sock.on('close', end);
        }
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await listen();
  const cut = async () => {
    const s = server;
    server = undefined;
    for (const sock of [...open]) sock.destroy();
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  return {
    get port() {
      return port;
    },
    get accepted() {
      return accepted;
    },
    accepting(count) {
      if (accepted >= count) return Promise.resolve();
      return new Promise((resolve) => acceptWaiters.push({ count, resolve }));
    },
    url(brokerUrl) {
      const u = new URL(brokerUrl);
      u.port = String(port);
      return u.toString();
    },
    cut,
    restore: listen,
    holdAnswers() {
      for (const [client, upstream] of upstreams) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    stall() {
      for (const [client, upstream] of upstreams) {
        upstream.unpipe(client);
        client.unpipe(upstream);
        upstream.pause();
        client.pause();
      }
    },
    resume() {
      for (const [client, upstream] of upstreams) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
    },
    idle(timeoutMs = 15_000) {
      if (open.size === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${open.size} connection(s) still open through the relay`)), timeoutMs);
        idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    close: cut,
  };
}
