/** A raw socket playing FreeSWITCH's side of an outbound (`socket` app) connection, writing only what the test tells it to. */
import { connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { encodeFrame } from '../../src/index.js';

/** What EslServer writes first to a peer it accepted. */
export const CONNECT = 'connect\n\n';

export interface RawPeer {
  socket: Socket;
  /** The server wrote `connect`: it accepted the connection. */
  asked: Promise<void>;
  closed: Promise<void>;
}

export function rawPeer(t: TestContext, port: number): RawPeer {
  const socket = connect({ port, host: '127.0.0.1' });
  t.after(() => socket.destroy());
  socket.on('error', () => undefined); // the server's reset of a refused connection
  let received = '';
  const asked = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      if (!received.startsWith(CONNECT)) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, asked, closed };
}

/** A connect reply like FreeSWITCH's, small. */
export function connectReply(uuid: string): Buffer {
  return encodeFrame([['Content-Type', 'command/reply'], ['Reply-Text', '%2BOK%0A'], ['Event-Name', 'CHANNEL_DATA'], ['Unique-ID', uuid], ['Socket-Mode', 'async'], ['Control', 'full']]);
}
