/**
 * startWeb(): the dashboard in one call — bus link, state, HTTP server. `fsbus web` and
 * `fsbus demo` both use it; embedders too.
 */
import type { AddressInfo } from 'node:net';
import { terminalLine } from '@fsbus/contract';
import { loadAssets } from './assets.js';
import { AuthGate, isLoopback, type WebAuth } from './auth.js';
import type { BusOptions, DashboardBus } from './bus-port.js';
import { Dashboard, type DashboardOptions } from './dashboard.js';
import { WebError, WebErrorCode } from './errors.js';
import { HostGuard } from './host-guard.js';
import { createHttpServer } from './http-server.js';
import { SseHub } from './sse.js';
import { ClientBus } from './client-bus.js';

/** @default 8080 */
export const DEFAULT_WEB_PORT = 8080;
/** @default '127.0.0.1' (loopback: nothing else without auth) */
export const DEFAULT_WEB_HOST = '127.0.0.1';
/** Longest wait between two attempts to reach the bus at start. */
const MAX_CONNECT_BACKOFF_MS = 5000;

export interface StartWebOptions extends DashboardOptions {
  /** How to reach the bus (driver, servers, prefix, inbox prefix, credentials). @default nats on nats://127.0.0.1:4222 */
  bus?: BusOptions;
  /** An already built bus link instead (tests, @fsbus/client adapters); closed by close(). */
  busLink?: DashboardBus;
  /** 0 picks a free port. @default 8080 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Basic auth and/or token; required for a non-loopback host unless `allowInsecure`. */
  auth?: WebAuth;
  /**
   * Names the dashboard answers to besides IP addresses, `localhost` and `host` (`name` or
   * `name:port`): the public name it is opened by (behind a proxy too). Any other Host is refused
   * (403, DNS rebinding). @default FSBUS_WEB_ALLOWED_HOSTS (comma-separated), else none
   */
  allowedHosts?: readonly string[];
  /** Serve a non-loopback host without auth anyway. @default false */
  allowInsecure?: boolean;
  /** Serve this production build (index.html, app.js, style.css) instead of building in memory. */
  staticDir?: string;
}

export interface WebServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dashboard: Dashboard;
  /** Resolves once the bus is connected the first time. */
  readonly busReady: Promise<void>;
  close(): Promise<void>;
}

export async function startWeb(options: StartWebOptions = {}): Promise<WebServer> {
  const host = options.host ?? DEFAULT_WEB_HOST;
  const auth = new AuthGate(options.auth);
  if (!isLoopback(host) && !auth.enabled && options.allowInsecure !== true) {
    throw new WebError(WebErrorCode.INSECURE_BIND, `refusing to serve the dashboard on ${host} without auth: set a token or basic auth (or allowInsecure)`);
  }
  const assets = await loadAssets(options.staticDir);
  const busLink = options.busLink;
  const makeBus = (): DashboardBus => busLink ?? new ClientBus(options.bus);
  let bus = makeBus();
  const dashboard = new Dashboard(bus, options);
  const sse = new SseHub();
  const allowedHosts = options.allowedHosts ?? (process.env['FSBUS_WEB_ALLOWED_HOSTS'] ?? '').split(',');
  const hosts = new HostGuard({ bound: host, allowedHosts });
  const server = createHttpServer({ assets, auth, dashboard, hosts, sse });
  let closed = false;

  // The bus may be down when the dashboard starts: the page shows "connecting" and this keeps trying,
  // saying why on stderr each time the reason changes (a refused password looks like "connecting").
  const warn = options.warn ?? ((m: string) => process.emitWarning(m, 'FsbusDashboardWarning'));
  let lastReason: string | undefined;
  let wake: (() => void) | undefined;
  const busReady = (async () => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        await bus.connect();
        // close() came while connecting: it found nothing to close yet.
        if (closed) await bus.close().catch(() => undefined);
        return;
      } catch (err) {
        if (busLink !== undefined || closed) throw err;
        const reason = err instanceof Error ? err.message : String(err);
        if (reason !== lastReason) warn(terminalLine(`dashboard: cannot connect to the bus, retrying: ${reason}`));
        lastReason = reason;
        // The dashboard follows the next link (state `connecting`) before the failed one closes,
        // so neither the page nor /healthz hears of that close.
        const failed = bus;
        bus = makeBus();
        dashboard.rebind(bus);
        await failed.close().catch(() => undefined);
        await new Promise<void>((r) => {
          wake = r;
          const t = setTimeout(r, Math.min(MAX_CONNECT_BACKOFF_MS, 250 * 2 ** attempt));
          t.unref();
        });
      }
    }
  })();
  busReady.catch(() => undefined);
  dashboard.start();
  const offUpdates = dashboard.onUpdate((u) => sse.broadcast('update', u));

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_WEB_PORT, host, () => {
        server.off('error', reject);
        // A failed accept (ENOBUFS, ENOMEM; libuv absorbs EMFILE itself) is emitted on the server;
        // unheard, it would end the dashboard.
        server.on('error', (err) => process.emitWarning(`dashboard server: ${err.message}`, 'FsbusDashboardWarning'));
        resolve();
      });
    });
  } catch (err) {
    closed = true;
    wake?.();
    await dashboard.close();
    sse.close();
    await bus.close().catch(() => undefined);
    throw new WebError(WebErrorCode.LISTEN, `dashboard could not listen on ${host}:${options.port ?? DEFAULT_WEB_PORT}: ${(err as Error).message}`, { cause: err });
  }
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    host,
    port,
    dashboard,
    busReady,
    async close() {
      if (closed) return;
      closed = true;
      wake?.();
      offUpdates();
      await dashboard.close();
      sse.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await bus.close().catch(() => undefined);
    },
  };
}
