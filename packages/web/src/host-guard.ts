/**
 * DNS rebinding guard: a page whose domain is re-pointed at the dashboard's address is same-origin
 * to the browser, so the server itself checks that a request names it (Host) and that a POST
 * comes from its own page (Origin). No sockets, no timers: request headers in, a verdict out.
 */
import { isIP } from 'node:net';

export interface HostGuardOptions {
  /** The address the server listens on. */
  bound: string;
  /** More names the server answers to (a public name, a proxy's); `name` or `name:port`. */
  allowedHosts?: readonly string[];
}

export class HostGuard {
  /** Names answered on any port: localhost, the bound address, configured names. */
  readonly #names = new Set<string>(['localhost']);
  /** Configured names (without a port), also accepted as a POST's Origin. */
  readonly #configured = new Set<string>();
  /** Configured `name:port` pairs. */
  readonly #hosts = new Set<string>();

  constructor(options: HostGuardOptions) {
    this.#names.add(bare(options.bound.toLowerCase()));
    for (const h of options.allowedHosts ?? []) {
      const parsed = parseHost(h.trim().toLowerCase());
      if (parsed === undefined) continue;
      if (parsed.port === '') {
        this.#names.add(parsed.hostname);
        this.#configured.add(parsed.hostname);
      } else {
        this.#hosts.add(`${parsed.hostname}:${parsed.port}`);
      }
    }
  }

  /**
   * True when `host` (a Host header) names this server: an IP literal (a rebinding page always
   * has a domain name), localhost, the bound address, or a configured name. A request without
   * Host (HTTP/1.0, not a browser) passes.
   */
  hostAllowed(host: string | undefined): boolean {
    if (host === undefined) return true;
    const parsed = parseHost(host.toLowerCase());
    if (parsed === undefined) return false;
    if (isIP(parsed.hostname) !== 0 || this.#names.has(parsed.hostname)) return true;
    return this.#hosts.has(`${parsed.hostname}:${parsed.port}`);
  }

  /**
   * True when `origin` (an Origin header) is absent, or the page it names is this server's: the
   * same host as the request's Host, or a configured name (a proxy that rewrites Host).
   */
  originAllowed(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, file:) and anything else unparsable
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (host !== undefined && url.host === host.toLowerCase()) return true;
    const hostname = bare(url.hostname);
    return this.#configured.has(hostname) || this.#hosts.has(`${hostname}:${url.port}`);
  }
}

/** `name[:port]` or `[v6][:port]`, lower-case; undefined when it is not a host. */
function parseHost(host: string): { hostname: string; port: string } | undefined {
  try {
    const url = new URL(`http://${host}`);
    if (url.host !== host && `${url.host}:80` !== host) return undefined; // userinfo, paths, …
    return { hostname: bare(url.hostname), port: url.port };
  } catch {
    return undefined;
  }
}

/** `[::1]` → `::1`. */
function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
