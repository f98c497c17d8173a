/**
 * A scripted Event Socket peer for tests: a real TCP server on port 0 that writes frames with
 * our own `encodeFrame` and records the commands it receives. Not a mock of the client: the
 * client under test talks to it over a socket exactly as it would to FreeSWITCH.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { encodeFrame, EslEvent, type EventFormat } from '../../src/index.js';

export interface ReceivedCommand {
  /** The first line, e.g. `api status`. */
  readonly line: string;
  readonly headers: Map<string, string>;
  readonly body: string | undefined;
}

export interface PeerOptions {
  /** Password accepted by `auth` (and `userauth user:password`). @default 'ClueCon' */
  password?: string;
  /** Answer the greeting and auth automatically. @default true */
  autoAuth?: boolean;
  /** Port to listen on. @default 0 (a free one) */
  port?: number;
  /** Called for every command after auth; reply with the PeerConn helpers. */
  onCommand?: (cmd: ReceivedCommand, conn: PeerConn) => void;
}

/** Parses the command stream a client sends: `line\nName: value\n…\n\n[body]`. */
class CommandParser {
  #buf = Buffer.alloc(0);
  constructor(private readonly onCommand: (cmd: ReceivedCommand) => void) {}
  push(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    for (;;) {
      const end = this.#buf.indexOf('\n\n');
      if (end < 0) return;
      const lines = this.#buf.toString('utf8', 0, end).split('\n');
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const c = l.indexOf(':');
        if (c > 0) headers.set(l.slice(0, c), l.slice(c + 1).trimStart());
      }
      const len = Number(headers.get('content-length') ?? headers.get('Content-Length') ?? 0);
      if (this.#buf.length < end + 2 + len) return;
      const body = len > 0 ? this.#buf.toString('utf8', end + 2, end + 2 + len) : undefined;
      this.#buf = this.#buf.subarray(end + 2 + len);
      this.onCommand({ line: lines[0]!, headers, body });
    }
  }
}

export class PeerConn {
  readonly socket: Socket;
  /** Every command received, auth included, in order. */
  readonly received: ReceivedCommand[] = [];
  #read = 0;
  #waiters: Array<(cmd: ReceivedCommand) => void> = [];
  readonly closed: Promise<void>;

  constructor(socket: Socket, onCommand: (cmd: ReceivedCommand) => void) {
    this.socket = socket;
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    const parser = new CommandParser((cmd) => {
      this.received.push(cmd);
      const w = this.#waiters.shift();
      if (w !== undefined) {
        this.#read++;
        w(cmd);
      }
      onCommand(cmd);
    });
    socket.on('data', (chunk: Buffer) => parser.push(chunk));
  }

  /** The next command not yet consumed by nextCommand(). */
  nextCommand(): Promise<ReceivedCommand> {
    if (this.#read < this.received.length) return Promise.resolve(this.received[this.#read++]!);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks every command received so far as consumed. */
  skipReceived(): void {
    this.#read = this.received.length;
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  frame(headers: Array<[string, string]>, body?: string): void {
    this.write(encodeFrame(headers, body));
  }

  reply(text: string, extra: Array<[string, string]> = []): void {
    this.frame([['Content-Type', 'command/reply'], ['Reply-Text', text], ...extra]);
  }

  apiResponse(body: string): void {
    this.frame([['Content-Type', 'api/response']], body);
  }

  event(event: EslEvent | Record<string, string>, format: EventFormat = 'plain'): void {
    const e = event instanceof EslEvent ? event : new EslEvent(event);
    this.frame([['Content-Type', `text/event-${format}`]], e.serialize(format));
  }

  log(text: string, level = 7): void {
    this.frame([['Content-Type', 'log/data'], ['Log-Level', String(level)], ['Text-Channel', '3'], ['Log-File', 'test.c'], ['Log-Func', 'fn'], ['Log-Line', '42'], ['User-Data', '']], text);
  }

  disconnectNotice(linger = false): void {
    const body = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';
    this.frame([['Content-Type', 'text/disconnect-notice'], ['Content-Disposition', linger ? 'linger' : 'disconnect']], body);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class ScriptedPeer {
  readonly #server: Server;
  readonly #options: { password: string; autoAuth: boolean; onCommand: PeerOptions['onCommand'] | undefined };
  readonly connections: PeerConn[] = [];
  #connWaiters: Array<(c: PeerConn) => void> = [];
  #taken = 0;
  port = 0;

  private constructor(options: PeerOptions) {
    this.#options = { password: options.password ?? 'ClueCon', autoAuth: options.autoAuth ?? true, onCommand: options.onCommand };
    this.#server = createServer((socket) => this.#accept(socket));
  }

  static async start(options: PeerOptions = {}): Promise<ScriptedPeer> {
    const peer = new ScriptedPeer(options);
    await new Promise<void>((resolve, reject) => {
      peer.#server.once('error', reject);
      peer.#server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    const address = peer.#server.address();
    peer.port = typeof address === 'object' && address !== null ? address.port : 0;
    return peer;
  }

  /** The next connection not yet taken (in accept order). */
  nextConnection(): Promise<PeerConn> {
    if (this.#taken < this.connections.length) return Promise.resolve(this.connections[this.#taken++]!);
    return new Promise((resolve) => this.#connWaiters.push(resolve));
  }

  /** Stops accepting first (a reconnecting client is refused), then drops every connection. */
  async close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const c of this.connections) c.destroy();
    await Promise.all(this.connections.map((c) => c.closed));
    await stopped;
  }

  #accept(socket: Socket): void {
    const { autoAuth, password, onCommand } = this.#options;
    let authed = !autoAuth;
    const conn: PeerConn = new PeerConn(socket, (cmd) => {
      if (!authed) {
        const ok = cmd.line === `auth ${password}` || (cmd.line.startsWith('userauth ') && cmd.line.endsWith(`:${password}`));
        if (ok) {
          authed = true;
          conn.reply('+OK accepted');
        } else {
          conn.reply('-ERR invalid');
          conn.end();
        }
        return;
      }
      onCommand?.(cmd, conn);
    });
    this.connections.push(conn);
    const w = this.#connWaiters.shift();
    if (w !== undefined) {
      this.#taken++;
      w(conn);
    }
    if (autoAuth) conn.frame([['Content-Type', 'auth/request']]);
  }
}

/** Fails with a clear message if `promise` does not settle within `ms` (bounds a wait; never synchronises). */
export async function bounded<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the arguments of the next `name` event of a TypedEmitter-like object. */
export function nextEvent<T extends unknown[]>(emitter: { once(name: string, fn: (...args: T) => void): unknown }, name: string): Promise<T> {
  return new Promise((resolve) => emitter.once(name, (...args: T) => resolve(args)));
}

/** Resolves when `pred` holds for an emitted value. */
export function eventWhere<T>(emitter: { on(name: string, fn: (v: T) => void): unknown; off(name: string, fn: (v: T) => void): unknown }, name: string, pred: (v: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const fn = (v: T): void => {
      if (!pred(v)) return;
      emitter.off(name, fn);
      resolve(v);
    };
    emitter.on(name, fn);
  });
}
