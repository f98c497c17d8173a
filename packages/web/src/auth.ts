/**
 * Optional access control for the dashboard: HTTP basic auth, or a token given once
 * (`/?token=…` or `Authorization: Bearer …`) that becomes an HttpOnly session cookie, so the
 * token never sits in the page or its scripts.
 *
 * The cookie is signed, not remembered: `<id>.<HMAC of id under a key derived from the token>`.
 * A dashboard restart keeps every open page signed in (a wall screen must not need its token
 * typed again after an upgrade), and changing the token ends every session at once. The key is
 * derived with scrypt, so a captured cookie is no cheap test of guessed tokens.
 */
import { createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';

export interface WebAuth {
  /** HTTP basic auth. */
  basic?: { user: string; password: string };
  /** A shared token (`?token=` once, then a session cookie; or `Authorization: Bearer`). */
  token?: string;
}

const COOKIE = 'fsbus_session';
/** Sets the signing key apart from any other use of the same token. */
const SESSION_KEY_LABEL = 'fsbus dashboard session v1';

export type AuthOutcome = 'ok' | 'denied' | 'redirected';

export class AuthGate {
  readonly #auth: WebAuth;
  readonly #sessionKey: Buffer | undefined;

  constructor(auth: WebAuth = {}) {
    this.#auth = auth;
    this.#sessionKey = auth.token === undefined ? undefined : scryptSync(auth.token, SESSION_KEY_LABEL, 32);
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
    const key = this.#sessionKey;
    if (token !== undefined && key !== undefined) {
      if (header.startsWith('Bearer ') && same(header.slice(7), token)) return 'ok';
      const session = cookie(req, COOKIE);
      if (session !== undefined && validSession(key, session)) return 'ok';
      const given = url.searchParams.get('token');
      if (given !== null && same(given, token) && req.method === 'GET') {
        url.searchParams.delete('token');
        res.writeHead(303, {
          // Lax, not Strict: the documented `/?token=` link is opened from a wiki, chat or mail,
          // and a browser sends no Strict cookie on a navigation started on another site (this
          // redirect included), so the page would be 401 for good. Lax cookies go with top-level
          // GETs only; a cross-site POST gets none, and the Origin check and control header
          // refuse it anyway (http-server.ts).
          'set-cookie': `${COOKIE}=${newSession(key)}; HttpOnly; SameSite=Lax; Path=/`,
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

function newSession(key: Buffer): string {
  const id = randomBytes(18).toString('base64url');
  return `${id}.${sign(key, id)}`;
}

function validSession(key: Buffer, session: string): boolean {
  const dot = session.indexOf('.');
  return dot > 0 && same(session.slice(dot + 1), sign(key, session.slice(0, dot)));
}

function sign(key: Buffer, id: string): string {
  return createHmac('sha256', key).update(id).digest('base64url');
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

/** 127.0.0.0/8 and ::1, in any spelling (`0:0:0:0:0:0:0:1`, `::ffff:127.0.0.1`). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Loopback addresses the dashboard may serve without auth: an address, parsed as one, or
 * `localhost`. A name is not an address: `127.example.com` resolves wherever its owner says.
 */
export function isLoopback(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return host === 'localhost';
  return LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}
