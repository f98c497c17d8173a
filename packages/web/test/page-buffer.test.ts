// The page buffer's bound around a snapshot larger than it: what queues behind the snapshot is
// bounded, not the snapshot; once it has gone out, a page that falls behind by more than the bound
// is cut off as before. Over a Unix socket, whose kernel buffers (~200 KB) are small and fixed, so
// the bytes left queued in the server are what the test sends minus little.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SseHub } from '../src/sse.js';

const MiB = 1024 * 1024;

/** A one-line JSON array of `count` strings of 64 KB. */
function* bigJson(count: number): Generator<string> {
  const chunk = 'x'.repeat(64 * 1024);
  for (let i = 0; i < count; i++) yield `${i === 0 ? '[' : ','}"${chunk}"`;
  yield ']';
}

/** Reads the stream until `want` SSE messages have come (true) or it ends (false). */
function readMessages(res: IncomingMessage, want: number): Promise<boolean> {
  let seen = 0;
  let last = '';
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off('data', onData);
      res.off('close', onEnd);
      res.pause();
      resolve(ok);
    };
    const onEnd = (): void => done(false);
    const onData = (d: string): void => {
      // A message ends with a blank line; retry: is one too, counted with the rest.
      seen += `${last}${d}`.split('\n\n').length - 1;
      last = d.slice(-1);
      if (seen >= want) done(true);
    };
    res.setEncoding('utf8');
    res.on('data', onData);
    res.on('close', onEnd);
    res.resume();
  });
}

test('a snapshot larger than the page buffer is not held against the page; once it is out, the bound is back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-sse-'));
  const socketPath = join(dir, 'sse.sock');
  const hub = new SseHub(MiB);
  let opened: (res: ServerResponse) => void = () => undefined;
  const pageOpened = new Promise<ServerResponse>((r) => (opened = r));
  const server = createServer((req, res) => {
    if (req.url === '/stream') {
      hub.open(res, 'snapshot', bigJson(128)); // 8 MiB
      opened(res);
    } else res.end('pong');
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  const ping = (): Promise<void> =>
    new Promise((resolve, reject) => request({ socketPath, path: '/ping' }, (res) => res.resume().on('end', resolve)).on('error', reject).end());
  try {
    const page = await new Promise<IncomingMessage>((resolve, reject) => request({ socketPath, path: '/stream' }, resolve).on('error', reject).end());
    await pageOpened;
    // The page has not read its snapshot yet: an update queues behind it.
    hub.broadcast('update', { n: 0 });
    assert.equal(hub.dropped, 0, 'the page was cut off for its own snapshot');
    // retry:, the snapshot and the update.
    assert.equal(await readMessages(page, 3), true, 'the stream ended before the update');
    await ping(); // the server has seen its snapshot writes complete

    // Caught up, the page stops reading: 4 MiB of updates pass the 1 MiB bound (kept: an 8 MiB
    // snapshot's allowance would still take them all).
    const update = { pad: 'y'.repeat(512 * 1024) };
    for (let i = 0; i < 8; i++) hub.broadcast('update', update);
    assert.equal(hub.dropped, 1, 'a page that fell behind once its snapshot was out was not cut off');
  } finally {
    hub.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});
