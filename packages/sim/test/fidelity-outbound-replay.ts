/**
 * An outbound ESL server that replays the server side of the captured `socket` session
 * (shared-outbound.json): it sends the captured commands byte for byte, and after each one reads
 * the frames FreeSWITCH sent back in the capture, recording a description of what it expected
 * and of what the simulator actually sent, for the test to compare.
 */
import { createServer, type Server } from 'node:net';
import type { RawFrame } from '@fsbus/esl';
import { framesOf, plainNames } from './fidelity-support.js';
import { WireClient } from './listener-client.js';

export interface Chunk {
  dir: 'in' | 'out';
  data: string;
}

/** What matters of a frame: its kind, reply text or event name, and header names in order. */
export function describeFrame(frame: RawFrame): string {
  const type = frame.headers.get('Content-Type') ?? '';
  const names = [...frame.headers.keys()].join(',');
  if (type === 'command/reply') {
    return frame.headers.has('Event-Name') ? `connect-reply ${names}` : `reply ${frame.headers.get('Reply-Text') ?? ''} [${names}]`;
  }
  if (type.startsWith('text/event-')) {
    const body = frame.body?.toString('utf8') ?? '';
    const name = /^Event-Name: (.*)$/m.exec(body)?.[1] ?? '?';
    return `event ${name} [${plainNames(frame.body).join(',')}]`;
  }
  if (type === 'text/disconnect-notice') {
    return `notice ${frame.headers.get('Content-Disposition') ?? ''} [${names}] ${JSON.stringify(frame.body?.toString() ?? '')}`;
  }
  return `${type} [${names}]`;
}

export class OutboundReplay {
  readonly expected: string[] = [];
  readonly actual: string[] = [];
  /** The frames the simulator sent, as received. */
  readonly received: RawFrame[] = [];
  readonly done: Promise<void>;
  readonly #server: Server;
  #client: WireClient | undefined;

  private constructor(server: Server, chunks: readonly Chunk[]) {
    this.#server = server;
    this.done = new Promise<void>((resolve) => {
      server.once('connection', (socket) => {
        const client = WireClient.wrap(socket);
        this.#client = client;
        void this.#run(client, chunks).finally(resolve);
      });
    });
  }

  static async start(chunks: readonly Chunk[]): Promise<OutboundReplay> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new OutboundReplay(server, chunks);
  }

  get port(): number {
    const addr = this.#server.address();
    return addr !== null && typeof addr === 'object' ? addr.port : 0;
  }

  async #run(client: WireClient, chunks: readonly Chunk[]): Promise<void> {
    for (const chunk of chunks) {
      const data = Buffer.from(chunk.data, 'base64');
      if (chunk.dir === 'out') {
        client.send(data.toString('utf8'));
        continue;
      }
      for (const frame of framesOf(data)) {
        this.expected.push(describeFrame(frame));
        try {
          const got = await client.next(10_000);
          this.received.push(got);
          this.actual.push(describeFrame(got));
        } catch (err) {
          this.actual.push(`<nothing: ${err instanceof Error ? err.message : String(err)}>`);
          return;
        }
      }
    }
    try {
      await client.waitClosed(10_000);
      this.actual.push('<closed>');
    } catch {
      this.actual.push('<still open>');
    }
    this.expected.push('<closed>');
  }

  async stop(): Promise<void> {
    this.#client?.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
