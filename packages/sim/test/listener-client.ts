/**
 * A raw Event Socket client for the simulator's tests, built on @fsbus/esl's parser: it keeps
 * every frame in arrival order (and the raw bytes), so tests can check replies, events and
 * notices exactly as they came off the wire. Every wait is bounded.
 */
import { connect, type Socket } from 'node:net';
import { EslParser, decodeFrame, type EslFrame, type RawFrame } from '@fsbus/esl';

const WAIT_MS = 5000;

export class WireClient {
  readonly socket: Socket;
  readonly raw: Buffer[] = [];
  readonly closed: Promise<void>;
  readonly #frames: RawFrame[] = [];
  #waiter: (() => void) | undefined;
  #isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    const parser = new EslParser((frame) => {
      this.#frames.push(frame);
      this.#waiter?.();
    });
    socket.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      parser.push(chunk);
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#isClosed = true;
        this.#waiter?.();
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  /** Wraps a socket accepted by a test server (an outbound ESL server in the tests). */
  static wrap(socket: Socket): WireClient {
    return new WireClient(socket);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new WireClient(socket));
      });
    });
  }

  /** Connects, reads the greeting and authenticates. */
  static async authed(port: number, password = 'ClueCon'): Promise<WireClient> {
    const client = await WireClient.connect(port);
    await client.next();
    const reply = await client.command(`auth ${password}`);
    if (reply.headers.get('Reply-Text') !== '+OK accepted') throw new Error(`auth failed: ${reply.headers.get('Reply-Text')}`);
    return client;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Frames received and not yet taken. */
  get buffered(): number {
    return this.#frames.length;
  }

  /** The next frame, in arrival order. */
  async next(ms = WAIT_MS): Promise<RawFrame> {
    await this.waitFor((frames) => frames.length > 0, ms, 'a frame');
    return this.#frames.shift()!;
  }

  /** Frames received and not taken yet, without taking them. */
  peek(): readonly RawFrame[] {
    return this.#frames;
  }

  /** Waits until the frames not taken yet satisfy `test` (bounded by `ms`). */
  async waitFor(test: (frames: readonly RawFrame[]) => boolean, ms = WAIT_MS, what = 'the expected frames'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test(this.#frames)) {
      if (this.#isClosed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
  }

  async nextDecoded(ms = WAIT_MS): Promise<EslFrame> {
    return decodeFrame(await this.next(ms));
  }

  /** The next frame whose Content-Type is `type` (others skipped). */
  async nextOfType(type: string, ms = WAIT_MS): Promise<RawFrame> {
    for (;;) {
      const frame = await this.next(ms);
      if (frame.headers.get('Content-Type') === type) return frame;
    }
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Sends a command (a blank line is appended) and returns the next frame. */
  async command(text: string): Promise<RawFrame> {
    this.send(`${text}\n\n`);
    return this.next();
  }

  async replyText(text: string): Promise<string> {
    return (await this.command(text)).headers.get('Reply-Text') ?? '';
  }

  async waitClosed(ms = WAIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms))),
    ]).finally(() => clearTimeout(timer));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The header names of a text/event-plain body, in order (its own Content-Length included). */
export function plainHeaderNames(body: Buffer | undefined): string[] {
  const text = body?.toString('utf8') ?? '';
  const end = text.indexOf('\n\n');
  return (end < 0 ? text : text.slice(0, end)).split('\n').filter((l) => l !== '').map((l) => l.slice(0, l.indexOf(':')));
}
