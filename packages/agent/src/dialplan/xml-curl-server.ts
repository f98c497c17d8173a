/**
 * The HTTP side of park mode: FreeSWITCH's mod_xml_curl POSTs its form (section, Hunt-Context,
 * Unique-ID …) and gets a `freeswitch/xml` document back. Loopback by default, optional basic
 * auth (mod_xml_curl's `gateway-credentials`). Any refusal is a non-200 or "not found", which
 * makes FreeSWITCH fall back to its static dialplan.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';

/** A lookup form is a few KB; anything far larger is not FreeSWITCH. */
export const MAX_LOOKUP_BYTES = 1024 * 1024;

export interface XmlCurlServerOptions {
  host: string;
  port: number;
  /** @default '/dialplan' */
  path: string;
  /** Basic auth; both or neither. */
  user?: string | undefined;
  password?: string | undefined;
  /** Answers one lookup with a document. */
  lookup(form: URLSearchParams): string;
  /** Hears what the server reports once listening (a failed `accept`): unheard, it would end the agent. */
  onServerError(err: Error): void;
}

export class XmlCurlServer {
  readonly #o: XmlCurlServerOptions;
  readonly #server: Server;
  readonly #expectedAuth: Buffer | undefined;
  #port: number | undefined;

  constructor(options: XmlCurlServerOptions) {
    this.#o = options;
    this.#expectedAuth =
      options.user === undefined ? undefined : Buffer.from(`Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`);
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  /** `http://host:port/path` once listening. */
  get url(): string | undefined {
    if (this.#port === undefined) return undefined;
    const host = this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host;
    return `http://${host}:${this.#port}${this.#o.path}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== this.#o.path) return void res.writeHead(404).end();
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    if (!this.#authorized(req.headers.authorization)) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="fsbus dialplan"' }).end();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > MAX_LOOKUP_BYTES) {
        res.writeHead(413, { connection: 'close' }).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      const xml = this.#o.lookup(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(xml);
    });
    req.on('error', () => res.destroy());
  }

  #authorized(header: string | undefined): boolean {
    const expected = this.#expectedAuth;
    if (expected === undefined) return true;
    if (header === undefined) return false;
    const got = Buffer.from(header);
    return got.byteLength === expected.byteLength && timingSafeEqual(got, expected);
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => {
        this.#server.off('error', reject);
        this.#server.on('error', (err) => this.#o.onServerError(err));
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve(this.#port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
