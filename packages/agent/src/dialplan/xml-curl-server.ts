/**
 * The HTTP side of park mode: FreeSWITCH's mod_xml_curl POSTs its form (section, Hunt-Context,
 * Unique-ID …) and gets a `freeswitch/xml` document back. A binding with `method` set to
 * anything but POST sends the form as the query string of a GET instead (mod_xml_curl.c
 * use_get_style): served the same. Loopback by default, optional basic auth (mod_xml_curl's
 * `gateway-credentials`). Any refusal is a non-200 or "not found", which makes FreeSWITCH fall
 * back to its static dialplan.
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
    // A GET carries the whole form (every channel variable) in its URL: past node's 16 KiB default.
    this.#server = createServer({ maxHeaderSize: MAX_LOOKUP_BYTES }, (req, res) => this.#handle(req, res));
  }

  /** `http://host:port/path` once listening. */
  get url(): string | undefined {
    if (this.#port === undefined) return undefined;
    const host = this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host;
    return `http://${host}:${this.#port}${this.#o.path}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q < 0 ? url : url.slice(0, q)) !== this.#o.path) return void res.writeHead(404).end();
    if (req.method !== 'POST' && req.method !== 'GET') return void res.writeHead(405, { allow: 'GET, POST' }).end();
    if (!this.#authorized(req.headers.authorization)) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="fsbus dialplan"' }).end();
    }
    if (req.method === 'GET') {
      req.resume();
      return void this.#answer(res, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
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
      this.#answer(res, new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', () => res.destroy());
  }

  #answer(res: ServerResponse, form: URLSearchParams): void {
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(this.#o.lookup(form));
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
