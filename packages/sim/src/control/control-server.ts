/**
 * The control HTTP API (loopback only): JSON in, JSON out, so other processes — benchmarks, the
 * demo, CLI tests — can drive a simulator they did not start in-process. Routes are listed in
 * docs/sim.md.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { FsbusError } from '@fsbus/esl';
import type { Simulator } from '../simulator.js';
import { SimConfigError, SimListenError, SimErrorCode } from '../listener/errors.js';
import { coreRoutes } from './core-routes.js';
import { num, sendJson, str, type JsonObject, type Route } from './json.js';

const MAX_BODY_BYTES = 1024 * 1024;

const wireRoutes: Record<string, Route> = {
  'GET /status': (_b, sim) => sim.control.status(),
  'POST /api': async (b, sim) => ({ body: await sim.core.api(str(b, 'command'), str(b, 'args', '')) }),
  'POST /bgapi': (b, sim) => {
    const jobUuid = str(b, 'jobUuid', randomUUID());
    sim.core.bgapi(str(b, 'command'), str(b, 'args', ''), jobUuid);
    return { jobUuid };
  },
  'POST /reply-latency': (b, sim) => {
    sim.control.setReplyLatency(num(b, 'ms'));
    return sim.control.status();
  },
  'POST /refuse-auth': (b, sim) => {
    sim.control.refuseAuth(b['refuse'] !== false);
    return sim.control.status();
  },
  'POST /events/pause': (_b, sim) => {
    sim.control.pauseEvents();
    return sim.control.status();
  },
  'POST /events/resume': (_b, sim) => {
    sim.control.resumeEvents();
    return sim.control.status();
  },
  'POST /reset': async (_b, sim) => {
    await sim.reset();
    return sim.control.status();
  },
  'POST /connections/drop': (_b, sim) => ({ dropped: sim.control.dropConnections() }),
  'POST /listener/stop': async (_b, sim) => {
    await sim.control.stopListener();
    return sim.control.status();
  },
  'POST /listener/start': async (_b, sim) => {
    await sim.control.startListener();
    return sim.control.status();
  },
  'POST /listener/restart': async (_b, sim) => {
    await sim.control.restartListener();
    return sim.control.status();
  },
};

async function readJson(req: IncomingMessage): Promise<JsonObject> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new SimConfigError('request body too large');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SimConfigError('request body is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SimConfigError('request body must be a JSON object');
  return parsed as JsonObject;
}

export class ControlServer {
  readonly #port: number;
  readonly #sim: Simulator;
  readonly #routes: Record<string, Route>;
  #server: Server | undefined;
  #binding: Promise<number> | undefined;
  #boundPort: number;

  constructor(port: number, sim: Simulator) {
    this.#port = port;
    this.#boundPort = port;
    this.#sim = sim;
    this.#routes = { ...wireRoutes, ...coreRoutes };
  }

  /** Listens on 127.0.0.1; resolves with the port. Listening already (or binding): that port. */
  async start(): Promise<number> {
    if (this.#server) return this.#boundPort;
    this.#binding ??= this.#bind().finally(() => (this.#binding = undefined));
    return this.#binding;
  }

  async #bind(): Promise<number> {
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new SimListenError(`cannot listen on control port ${this.#port}: ${err.message}`, { cause: err }));
      server.once('error', onError);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', onError);
        // A failed accept (ENOBUFS, ENOMEM; libuv absorbs EMFILE itself) is emitted on the server;
        // unheard, it would end the simulator.
        server.on('error', (err) => process.emitWarning(`control server: ${err.message}`, 'FsbusSimWarning'));
        resolve();
      });
    });
    this.#server = server;
    const addr = server.address();
    this.#boundPort = addr !== null && typeof addr === 'object' ? addr.port : this.#port;
    return this.#boundPort;
  }

  async stop(): Promise<void> {
    await this.#binding?.catch(() => undefined);
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const route = this.#routes[`${req.method ?? 'GET'} ${path}`];
    if (route === undefined) {
      sendJson(res, 404, { error: `no route ${req.method ?? ''} ${path}`, routes: Object.keys(this.#routes) });
      return;
    }
    let status = 200;
    let body: unknown;
    try {
      body = await route(await readJson(req), this.#sim);
    } catch (err) {
      status = err instanceof SimConfigError ? 400 : 500;
      body = { error: err instanceof Error ? err.message : String(err), code: err instanceof FsbusError ? err.code : SimErrorCode.CONTROL };
    }
    sendJson(res, status, body);
  }
}
