/**
 * Server-Sent Events to the pages: one snapshot, then batched updates. A page that cannot keep
 * up (more than the bound queued behind its snapshot) is cut off; EventSource reconnects and gets
 * a fresh snapshot, so a slow screen never makes the server hold unbounded memory.
 */
import type { ServerResponse } from 'node:http';

/** Bytes queued to one page, besides its snapshot, before it is cut off. @default 4 MiB */
export const DEFAULT_MAX_PAGE_BUFFER = 4 * 1024 * 1024;
/** EventSource reconnect delay the server asks for (ms). */
const RETRY_MS = 1000;
const KEEPALIVE_MS = 15_000;

interface Page {
  readonly res: ServerResponse;
  /**
   * Bytes of the snapshot still queued when it was written; 0 once it has gone out. A snapshot
   * larger than the bound (a full table of long names: tens of MB) is not held against the page:
   * cut off at the next update, it reconnected a second later to the same snapshot, and never loaded.
   */
  snapshotQueued: number;
}

export class SseHub {
  readonly #pages = new Set<Page>();
  readonly #maxBuffer: number;
  readonly #keepalive: NodeJS.Timeout;
  /** Pages cut off for being too slow. */
  dropped = 0;

  constructor(maxBuffer = DEFAULT_MAX_PAGE_BUFFER) {
    this.#maxBuffer = maxBuffer;
    this.#keepalive = setInterval(() => {
      for (const p of this.#pages) p.res.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
  }

  get size(): number {
    return this.#pages.size;
  }

  /** Opens a page's stream with its first message, `data` given as JSON pieces (see json-pieces.ts). */
  open(res: ServerResponse, event: string, data: Iterable<string>): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n\n`);
    const page: Page = { res, snapshotQueued: 0 };
    this.#pages.add(page);
    res.on('close', () => this.#pages.delete(page));
    // One data line written in pieces: the JSON has no line breaks, and is never one string.
    res.write(`event: ${event}\ndata: `);
    for (const piece of data) res.write(piece);
    // Its callback runs once everything before it has been handed to the socket.
    res.write('\n\n', () => (page.snapshotQueued = 0));
    page.snapshotQueued = res.writableLength;
  }

  broadcast(event: string, data: unknown): void {
    if (this.#pages.size === 0) return;
    const json = JSON.stringify(data);
    for (const p of this.#pages) this.#send(p, event, json);
  }

  #send(page: Page, event: string, json: string): void {
    const { res } = page;
    if (res.writableLength > this.#maxBuffer + page.snapshotQueued) {
      this.dropped++;
      this.#pages.delete(page);
      res.destroy();
      return;
    }
    res.write(`event: ${event}\ndata: ${json}\n\n`);
  }

  close(): void {
    clearInterval(this.#keepalive);
    for (const p of this.#pages) p.res.end();
    this.#pages.clear();
  }
}
