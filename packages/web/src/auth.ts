/**
 * Optional access control for the dashboard: HTTP basic auth, or a token given once
 * (`/?token=…` or `Authorization: Bearer …`) that becomes an HttpOnly session cookie, so the
 * token never sits in the page or its scripts.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface WebAuth {
  /** HTTP basic auth. */
  basic?: { user: string; password: string };
  /** A shared token (`?token=` once, then a session cookie; or `Authorization: Bearer`). */
  token?: string;
}

const COOKIE = 'fsbus_session';
/** Sessions kept at most; the oldest is forgotten first (its browser logs in again). */
const MAX_SESSIONS = 1000;

export type AuthOutcome = 'ok' | 'denied' | 'redirected';

export class AuthGate {
  readonly #auth: WebAuth;
  readonly #sessions = new Set<string>();

  constructor(auth: WebAuth = {}) {
    this.#auth = auth;
  }

  get enabled(): boolean {
    return this.#auth.basic !== undefined || this.#auth.token !== undefined;
  }

  /** Lets the request through, answers 401, or (token in the URL) sets the cookie and redirects. */
  check(req: IncomingMessage, res: ServerResponse, url: URL): AuthOutcome {
    if (!this.enabled) return 'ok';
    const header = req.headers.authorization ?? '';
    const { basic, token } = this.#auth;
    if (basic !== undefined && header.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      if (same(user ?? '', basic.user) && same(rest.join(':'), basic.password)) return 'ok';
    }
    if (token !== undefined) {
      if (header.startsWith('Bearer ') && same(header.slice(7), token)) return 'ok';
      const session = cookie(req, COOKIE);
      if (session !== undefined && this.#sessions.has(session)) return 'ok';
      const given = url.searchParams.get('token');
      if (given !== null && same(given, token) && req.method === 'GET') {
        const id = randomBytes(24).toString('base64url');
        this.#sessions.add(id);
        if (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.values().next().value ?? '');
        url.searchParams.delete('token');
        res.writeHead(303, {
          'set-cookie': `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`,
          // Only a path of this server: `//evil.example` would be another site.
          location: `/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`,
        });
        res.end();
        return 'redirected';
      }
    }
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (basic !== undefined) headers['www-authenticate'] = 'Basic realm="fsbus dashboard", charset="UTF-8"';
    res.writeHead(401, headers);
    res.end(token !== undefined && basic === undefined ? 'token required: open /?token=<token>\n' : 'authentication required\n');
    return 'denied';
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === name && v !== undefined) return v;
  }
  return undefined;
}

/** Loopback addresses the dashboard may serve without auth. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
