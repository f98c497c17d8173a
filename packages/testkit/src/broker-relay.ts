/**
 * A TCP relay in front of a broker, for tests of what a client does when the broker misbehaves.
 * `inject()` writes bytes to the broker on the open connections, as if their client had sent them.
 * `dropNext()` closes the open connections and arms the next one: it hands the client the broker's
 * first answer (an MQTT CONNACK: the broker says nothing more until the client sends again) and
 * closes, as a broker that takes the client back and drops it again at once. `freeze()` stops
 * passing bytes both ways on the open connections, held open: to the broker, the client behind it
 * is a frozen process (SIGSTOP, a long pause); `thaw()` lets them flow again.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface BrokerRelay {
  /** The relay's port on 127.0.0.1. */
  readonly port: number;
  inject(bytes: Uint8Array): void;
  dropNext(): void;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startBrokerRelay(brokerPort: number): Promise<BrokerRelay> {
  const open = new Map<Socket, Socket>();
  let armed = false;
  const server = createServer((client) => {
    const upstream = connect(brokerPort, '127.0.0.1');
    const dropAfterFirstAnswer = armed;
    armed = false;
    open.set(client, upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', () => {
      upstream.destroy();
      open.delete(client);
    });
    client.pipe(upstream);
    if (!dropAfterFirstAnswer) {
      upstream.pipe(client);
      upstream.on('close', () => client.destroy());
      return;
    }
    upstream.once('data', (answer: Buffer) => {
      client.end(answer);
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    inject(bytes: Uint8Array): void {
      for (const upstream of open.values()) upstream.write(bytes);
    },
    dropNext(): void {
      armed = true;
      for (const s of open.keys()) s.destroy();
    },
    freeze(): void {
      for (const [client, upstream] of open) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    thaw(): void {
      for (const [client, upstream] of open) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open.keys()) s.destroy();
        server.close(() => resolve());
      }),
  };
}
