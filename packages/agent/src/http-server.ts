/** /metrics, /healthz, /readyz on one small HTTP server. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostPort } from '@fsbus/esl';
import type { Registry } from 'prom-client';
import { ListenError, type AgentServer } from './errors.js';

export interface HealthSource {
  /**
   * The process's liveness: `ok` running, `stopping` in a graceful stop (draining: alive, a probe
   * must not restart it), `down` starting or stopped.
   */
  health(): 'ok' | 'stopping' | 'down';
  /** Broker and FreeSWITCH connections are up: the node can serve commands. */
  ready(): { ready: boolean; broker: string; esl: string; cordoned?: true };
}

export class AgentHttpServer {
  readonly #server: Server;

  constructor(registry: Registry, health: HealthSource) {
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      if (path === '/metrics') {
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      } else if (path === '/healthz') {
        const status = health.health();
        res.writeHead(status === 'down' ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
      } else if (path === '/readyz') {
        const r = health.ready();
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r));
      } else res.writeHead(404).end();
    });
  }

  /**
   * `onServerError` hears what the server reports once listening: a failed `accept` (ENOBUFS,
   * ENOMEM; libuv absorbs EMFILE itself) is emitted as 'error' there, and unheard it would end
   * the agent.
   */
  listen(port: number, host: string, onServerError: (err: Error) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        this.#server.on('error', onServerError);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

const SERVER_NAME: Record<AgentServer, string> = { metrics: 'metrics', dialplan: 'the dialplan endpoint' };

/** `err` from listening on `host:port`, wrapped to name the server: `cannot serve metrics on 127.0.0.1:9464: the port is in use (EADDRINUSE)`. */
export function listenError(server: AgentServer, host: string, port: number, err: unknown): ListenError {
  return new ListenError(server, `cannot serve ${SERVER_NAME[server]} on ${hostPort(host, port)}: ${listenProblem(err, host)}`, { cause: err });
}

/**
 * Why a server could not listen on `host`, in the operator's words. EADDRNOTAVAIL and EACCES stay
 * until the configuration changes; EADDRINUSE ends with the process holding the port.
 */
export function listenProblem(err: unknown, host: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRNOTAVAIL') return `${host} is not an address of this host (EADDRNOTAVAIL)`;
  if (code === 'EADDRINUSE') return 'the port is in use (EADDRINUSE)';
  if (code === 'EACCES') return 'permission denied (EACCES: a port below 1024 needs CAP_NET_BIND_SERVICE)';
  return err instanceof Error ? err.message : String(err);
}
