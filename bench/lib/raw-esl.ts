/**
 * The raw baseline: a bare TCP socket (TCP_NODELAY) that authenticates, writes `api <cmd>\n\n`
 * and counts `api/response` frames with our parser — no client library, no promises, no
 * correlation beyond FIFO. Its one-connection rate is "the raw round-trip limit" the issue's
 * ESL targets are measured against.
 */
import { createConnection, type Socket } from 'node:net';
import { EslParser, type RawFrame } from '@fsbus/esl';

export type Done = (error?: Error) => void;

export class RawEsl {
  readonly #socket: Socket;
  readonly #waiting: Array<(frame: RawFrame) => void> = [];
  #closed = false;
  #corked = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    const parser = new EslParser((frame) => this.#waiting.shift()?.(frame));
    socket.on('data', (chunk: Buffer) => parser.push(chunk));
    socket.on('close', () => {
      this.#closed = true;
      const err = new Error('raw ESL socket closed');
      for (const w of this.#waiting.splice(0)) w({ headers: new Map([['Content-Type', 'closed']]), body: Buffer.from(err.message) });
    });
  }

  /** Connects, reads the greeting, authenticates. */
  static async connect(host: string, port: number, password = 'ClueCon'): Promise<RawEsl> {
    const socket = createConnection({ host, port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const raw = new RawEsl(socket);
    await new Promise<void>((resolve) => raw.#waiting.push(() => resolve())); // auth/request
    const reply = await new Promise<RawFrame>((resolve) => {
      raw.#waiting.push(resolve);
      socket.write(`auth ${password}\n\n`);
    });
    if (!(reply.headers.get('Reply-Text') ?? '').startsWith('+OK')) {
      socket.destroy();
      throw new Error(`raw ESL auth failed: ${reply.headers.get('Reply-Text') ?? '?'}`);
    }
    return raw;
  }

  /** `api <command>`; `done` gets an error unless an api/response whose body passes `check` came back. */
  api(commandText: Buffer, check: (body: Buffer | undefined) => boolean, done: Done): void {
    if (this.#closed) return done(new Error('raw ESL socket closed'));
    this.#waiting.push((frame) => {
      const type = frame.headers.get('Content-Type');
      done(type === 'api/response' && check(frame.body) ? undefined : new Error(`unexpected reply ${type ?? '?'}: ${frame.body?.toString('utf8').slice(0, 80) ?? ''}`));
    });
    // Coalesce the writes of one tick, as a pipelining client would (one syscall, not N).
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(commandText);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end('exit\n\n');
      // The server closes after `+OK bye`; do not wait on a stuck peer forever.
      setTimeout(() => this.#socket.destroy(), 2000).unref();
    });
  }
}
