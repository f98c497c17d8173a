/**
 * Server-Sent Events to the pages: one snapshot, then batched updates. A page that cannot keep
 * up (its socket buffer past the bound) is cut off; EventSource reconnects and gets a fresh
 * snapshot, so a slow screen never makes the server hold unbounded memory.
 */
import type { ServerResponse } from 'node:http';

/** Bytes queued to one page before it is cut off. @default 4 MiB */
export const DEFAULT_MAX_PAGE_BUFFER = 4 * 1024 * 1024;
/** EventSource reconnect delay the server asks for (ms). */
const RETRY_MS = 1000;
const KEEPALIVE_MS = 15_000;

export class SseHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #maxBuffer: number;
  readonly #keepalive: NodeJS.Timeout;
  /** Pages cut off for being too slow. */
  dropped = 0;

  constructor(maxBuffer = DEFAULT_MAX_PAGE_BUFFER) {
    this.#maxBuffer = maxBuffer;
    this.#keepalive = setInterval(() => {
      for (const c of this.#clients) c.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
  }

  get size(): number {
    return this.#clients.size;
  }

  open(res: ServerResponse, first: { event: string; data: unknown }): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n\n`);
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
    this.#send(res, first.event, JSON.stringify(first.data));
  }

  broadcast(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const json = JSON.stringify(data);
    for (const c of this.#clients) this.#send(c, event, json);
  }

  #send(res: ServerResponse, event: string, json: string): void {
    if (res.writableLength > this.#maxBuffer) {
      this.dropped++;
      this.#clients.delete(res);
      res.destroy();
      return;
    }
    res.write(`event: ${event}\ndata: ${json}\n\n`);
  }

  close(): void {
    clearInterval(this.#keepalive);
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }
}
