/**
 * The "broker" of the brokerless ZeroMQ driver in the conformance suite. Every driver of a case is
 * a mesh peer: it binds its own endpoint (`?bind`) and connects to every peer's endpoint, so any
 * of them can serve, request, publish or subscribe as the cases ask. Peers are reached through a
 * TCP relay per socket, which is what halt/start act on: the serving sides' endpoints go away
 * (connections cut, connects refused) and come back on the same ports — for the ZeroMQ sockets on
 * both ends, an agent host that went away and came back. The relay only copies bytes.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '@fsbus/testkit';
import type { BrokerUnderTest } from './suite.js';

class TcpRelay {
  readonly #target: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  constructor(target: number) {
    this.#target = target;
  }

  async start(): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = connect(this.#target, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.#sockets.add(s);
        s.setNoDelay(true);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.#sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') this.port = addr.port;
  }

  async halt(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface Peer {
  /** What the peer binds. */
  own: string;
  /** How the others reach it (through the relays). */
  reach: string;
  relays: TcpRelay[];
}

export interface ZmqMesh extends BrokerUnderTest {
  urlsFor(index: number, count: number): Promise<string[]>;
}

export async function startZmqMesh(): Promise<ZmqMesh> {
  // A fresh set of peers per case: ZeroMQ closes sockets in the background, so a port the last
  // case bound may still be held when the next case binds.
  let peers: Peer[] = [];
  const peer = async (i: number): Promise<Peer> => {
    while (peers.length <= i) {
      const [commands, events] = [await freePort(), await freePort()];
      const relays = [new TcpRelay(commands), new TcpRelay(events)];
      for (const r of relays) await r.start();
      peers.push({
        own: `zmq://127.0.0.1:${commands}?events=${events}&bind`,
        reach: `zmq://127.0.0.1:${relays[0]!.port}?events=${relays[1]!.port}`,
        relays,
      });
    }
    return peers[i]!;
  };
  const halt = (list: readonly Peer[]) => Promise.all(list.flatMap((p) => p.relays).map((r) => r.halt()));
  const first = await peer(0);
  let fresh = true;
  return {
    url: first.reach,
    // Driver i of a case binds peer i and reaches all `count` peers (itself included).
    urlsFor: async (index, count) => {
      if (index === 0 && !fresh) {
        await halt(peers);
        peers = [];
      }
      fresh = false;
      const out = [(await peer(index)).own];
      for (let j = 0; j < count; j++) out.push((await peer(j)).reach);
      return out;
    },
    halt: () => halt(peers).then(() => undefined),
    start: async () => {
      for (const r of peers.flatMap((p) => p.relays)) await r.start();
    },
    stop: () => halt(peers).then(() => undefined),
  };
}
