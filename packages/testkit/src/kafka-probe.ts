/**
 * The smallest real Kafka client: one Metadata request (API key 3, version 0) over TCP, so the test
 * kit can tell a broker that serves requests from one that only opened its port, without a
 * dependency. Resolves with the number of brokers the cluster reports.
 */
import { createConnection } from 'node:net';

export function kafkaBrokerCount(host: string, port: number, timeoutMs: number): Promise<number> {
  const clientId = Buffer.from('fsbus-testkit');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
  let o = body.writeInt16BE(3, 0); // api key: Metadata
  o = body.writeInt16BE(0, o); // api version 0
  o = body.writeInt32BE(1, o); // correlation id
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  body.writeInt32BE(0, o); // topics: [] = all (v0)
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);

  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`no Metadata answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('connect', () => socket.write(Buffer.concat([size, body])));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      clearTimeout(timer);
      socket.destroy();
      // size, correlation id, then the brokers array's length.
      if (buf.length < 12 || buf.readInt32BE(4) !== 1) reject(new Error('malformed Metadata answer'));
      else resolve(buf.readInt32BE(8));
    });
    socket.once('error', fail);
  });
}
