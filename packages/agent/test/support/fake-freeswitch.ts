/**
 * A small scripted FreeSWITCH Event Socket over a real socket on port 0, for faults the simulator
 * does not make: undecodable event bodies, a refused `event` subscription, sendmsg for channels
 * that do not exist, a `bgapi` refused outright, held or failed `show channels`. Answers auth,
 * api, sendmsg, exit; `onEventCommand` decides each `event …`, `onApi` each `api …`, `onCommand`
 * the others.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FakeConnection {
  readonly socket: Socket;
  /** Writes raw bytes (a whole frame, or garbage). */
  write(data: string): void;
  reply(text: string): void;
  /** An `api/response` frame with this body. */
  apiResponse(body: string): void;
}

/** What to do with one `event …` command: a reply text (`+OK …`, `-ERR …`) or nothing (the test answers later). */
export type EventCommandHandler = (conn: FakeConnection, line: string, index: number) => string | undefined;
/** The body to answer `api <command>` with; undefined = `+OK`; null = nothing (the test answers later with apiResponse). */
export type ApiHandler = (conn: FakeConnection, command: string) => string | null | undefined;
/** The reply text of another command (`bgapi …`, `sendmsg …`); undefined = `+OK`. */
/** The Reply-Text (`+OK` when undefined); null: no answer at all (a FreeSWITCH that stopped answering). */
export type CommandHandler = (conn: FakeConnection, line: string) => string | null | undefined;

export class FakeFreeSwitch {
  readonly #server: Server;
  readonly #connections = new Set<FakeConnection>();
  /** Every `event …` line received, in order. */
  readonly eventCommands: string[] = [];
  /** The connection that last subscribed (+OK) to events. */
  eventsConnection: FakeConnection | undefined;
  onEventCommand: EventCommandHandler = () => '+OK event listener enabled json';
  onApi: ApiHandler = () => undefined;
  onCommand: CommandHandler = () => undefined;
  /** Set: every new connection is turned away as by FreeSWITCH's apply-inbound-acl (`text/rude-rejection`). */
  rejecting = false;
  /** Connections turned away while `rejecting`. */
  rejected = 0;
  #waiters: Array<() => void> = [];
  #port = 0;

  constructor() {
    this.#server = createServer((socket) => this.#accept(socket));
  }

  get port(): number {
    return this.#port;
  }

  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.#server.listen(0, '127.0.0.1', () => {
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve(this.#port);
      });
    });
  }

  /** Resolves once `check()` holds, re-checked after every command received and every connection turned away; bounded. */
  until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`fake FreeSWITCH: timed out waiting for ${what}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve();
      };
      this.#waiters.push(waiter);
    });
  }

  /** A `text/event-json` frame with this body on the subscribed connection. */
  sendJsonEvent(body: string): void {
    this.eventsFrame('text/event-json', body);
  }

  eventsFrame(contentType: string, body: string): void {
    const c = this.eventsConnection;
    if (c === undefined) throw new Error('fake FreeSWITCH: no events connection');
    c.write(`Content-Length: ${Buffer.byteLength(body)}\nContent-Type: ${contentType}\n\n${body}`);
  }

  /** Cuts every connection without a word. */
  dropConnections(): void {
    for (const c of this.#connections) c.socket.destroy();
  }

  close(): Promise<void> {
    this.dropConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    if (this.rejecting) {
      this.rejected++;
      socket.on('error', () => undefined);
      const text = 'Access Denied, go away.\n';
      socket.end(`Content-Type: text/rude-rejection\nContent-Length: ${Buffer.byteLength(text)}\n\n${text}`);
      for (const w of [...this.#waiters]) w();
      return;
    }
    const conn: FakeConnection = {
      socket,
      write: (data) => {
        if (!socket.destroyed) socket.write(data);
      },
      reply: (text) => conn.write(`Content-Type: command/reply\nReply-Text: ${text}\n\n`),
      apiResponse: (body) => conn.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`),
    };
    this.#connections.add(conn);
    socket.setNoDelay(true); // as FreeSWITCH: no 40 ms Nagle/delayed-ACK stall per reply
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#connections.delete(conn);
      if (this.eventsConnection === conn) this.eventsConnection = undefined;
    });
    conn.write('Content-Type: auth/request\n\n');
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      for (let at = buf.indexOf('\n\n'); at >= 0; at = buf.indexOf('\n\n')) {
        const head = buf.slice(0, at);
        const length = /^content-length: *(\d+)$/im.exec(head);
        const bodyLength = length === null ? 0 : Number(length[1]);
        if (buf.length < at + 2 + bodyLength) break;
        buf = buf.slice(at + 2 + bodyLength);
        this.#command(conn, head.split('\n', 1)[0]!);
      }
    });
  }

  #command(conn: FakeConnection, line: string): void {
    if (line.startsWith('auth ')) conn.reply('+OK accepted');
    else if (line.startsWith('event ')) {
      this.eventCommands.push(line);
      const answer = this.onEventCommand(conn, line, this.eventCommands.length - 1);
      if (answer !== undefined) this.answerEvent(conn, answer);
    } else if (line.startsWith('api ')) {
      const body = this.onApi(conn, line.slice('api '.length));
      if (body !== null) conn.apiResponse(body ?? '+OK\n');
    } else if (line === 'exit') {
      conn.reply('+OK bye');
      conn.socket.end();
    } else {
      const answer = this.onCommand(conn, line);
      if (answer !== null) conn.reply(answer ?? '+OK');
    }
    for (const w of [...this.#waiters]) w();
  }

  /** Answers an `event …` command (for a handler that returned nothing). */
  answerEvent(conn: FakeConnection, answer: string): void {
    if (answer.startsWith('+OK')) this.eventsConnection = conn;
    conn.reply(answer);
  }
}
