/**
 * The dashboard's HTTP side: the app's files, the live stream (SSE), event details, the
 * per-call timeline, and the controls (POST /api/command; originate answers at once, its outcome
 * follows in the stream), behind the optional auth gate.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Asset } from './assets.js';
import type { AuthGate } from './auth.js';
import { isCommandResult, parseCommand, runCommand } from './commands.js';
import { jsonPieces } from './json-pieces.js';
import type { Dashboard } from './dashboard.js';
import { WebErrorCode } from './errors.js';
import type { HostGuard } from './host-guard.js';
import type { CommandResult } from './protocol.js';
import type { SseHub } from './sse.js';

/** Largest command body the page may post. */
const MAX_BODY_BYTES = 64 * 1024;
/** A custom header a cross-site form or image cannot send: the page's controls carry it. */
export const CONTROL_HEADER = 'x-fsbus-dashboard';

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

export interface HttpDeps {
  assets: ReadonlyMap<string, Asset>;
  auth: AuthGate;
  dashboard: Dashboard;
  /** Refuses a Host the server does not answer to, and a POST from another origin. */
  hosts: HostGuard;
  sse: SseHub;
}

export function createHttpServer(deps: HttpDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { success: false, message: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
}

async function handle(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (url.pathname === '/healthz') return json(res, 200, { ok: true, bus: deps.dashboard.bus.state });
  // DNS rebinding: a page on a name re-pointed at this address is same-origin to the browser.
  if (!deps.hosts.hostAllowed(req.headers.host)) return json(res, 403, { message: 'unknown host: open the dashboard by its own address' });
  if (req.method === 'POST' && !deps.hosts.originAllowed(req.headers.origin, req.headers.host)) {
    return json(res, 403, result('controls need the dashboard page (another origin sent this)'));
  }
  if (deps.auth.check(req, res, url) !== 'ok') return;
  const path = url.pathname;

  if (req.method === 'GET' || req.method === 'HEAD') {
    const asset = deps.assets.get(path === '/' ? '/index.html' : path);
    if (asset !== undefined) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache', 'content-length': asset.body.length });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (path === '/api/stream') {
      // A HEAD gets the stream's headers and its end: a body written to it is dropped, so as a
      // client it would wait for ever (and stay registered) for an end that never came.
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
        res.end();
        return;
      }
      // What waits in the batch goes to the open pages first: the new one gets it in its snapshot only.
      deps.dashboard.flush();
      return deps.sse.open(res, 'snapshot', jsonPieces(deps.dashboard.snapshot()));
    }
    if (path === '/api/snapshot') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      for (const piece of jsonPieces(deps.dashboard.snapshot())) res.write(piece);
      res.end();
      return;
    }
    const event = /^\/api\/events\/(\d+)$/.exec(path);
    if (event?.[1] !== undefined) {
      const detail = deps.dashboard.eventDetail(Number(event[1]));
      return detail === undefined ? json(res, 404, { message: 'event no longer held' }) : json(res, 200, detail);
    }
    // Any uuid, URL-encoded as one segment (`weird%2F..%2Fid`): the page's uuids come from events,
    // which any publisher on the bus may send. The lookup is a comparison, never a path.
    const tl = /^\/api\/timeline\/([^/]{1,1024})$/.exec(path);
    if (tl?.[1] !== undefined) {
      let uuid: string;
      try {
        uuid = decodeURIComponent(tl[1]);
      } catch {
        return json(res, 400, { message: 'timeline uuid is not valid URL encoding' });
      }
      const { events, dropped } = deps.dashboard.timeline(uuid);
      return json(res, 200, { uuid, channel: deps.dashboard.channel(uuid) ?? null, events, dropped });
    }
    return json(res, 404, { message: 'not found' });
  }

  if (req.method === 'POST' && path === '/api/command') {
    if (req.headers[CONTROL_HEADER] !== '1' || !(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return json(res, 403, result('controls need the dashboard page (JSON with its header)'));
    }
    const body = await readBody(req);
    if (body === undefined) return json(res, 413, result('command body too large'));
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return json(res, 400, result('command body is not JSON'));
    }
    const parsed = parseCommand(value);
    if (isCommandResult(parsed)) return json(res, 400, parsed);
    // It rings for up to a minute: its outcome comes in the stream, so the page (and the
    // browser's few connections to this server) never wait on it. 429: the dashboard's cap.
    if (parsed.body['command'] === 'originate') {
      const sent = deps.dashboard.originate(parsed);
      return json(res, sent.success ? 200 : 429, sent);
    }
    const out = await runCommand(deps.dashboard.bus, parsed, deps.dashboard.commandTimeoutMs);
    const command = String(parsed.body['command']);
    // Cards follow the controls at once instead of at the next poll.
    if (command.startsWith('dialplan.') && parsed.nodeId !== undefined) await deps.dashboard.refreshPark(parsed.nodeId);
    deps.dashboard.refresh();
    return json(res, 200, out);
  }
  res.setHeader('allow', 'GET, HEAD, POST');
  return json(res, 405, { message: 'method not allowed' });
}

function result(message: string): CommandResult {
  return { success: false, message, code: WebErrorCode.BAD_REQUEST };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
