/**
 * The sockets one `connect()` call opened, so a failed one leaves none behind. nats.js keeps the
 * socket of a connect that timed out before the server's INFO (its transport still waits for
 * it): a dashboard retrying a port that accepts but never speaks NATS gained an open socket per
 * attempt. Node announces every client socket on the `net.client.socket` channel, synchronously
 * inside `net.connect()`, so the async context tells ours from anyone else's.
 *
 * The context is switched off between attempts: an enabled AsyncLocalStorage keeps Node 20's
 * async hooks on for every promise, tick and microtask the process makes afterwards (an `await`
 * costs ~2.5x; 3 % of the agent's CPU under load went to the hooks alone).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

interface Attempt {
  readonly sockets: Set<Socket>;
  /** Settled: the connection's later reconnects inherit this context and are not ours to keep. */
  settled: boolean;
}

const attempt = new AsyncLocalStorage<Attempt>();
/** Attempts under way: the context is enabled while there is one. */
let underWay = 0;

subscribe('net.client.socket', (message) => {
  const mine = attempt.getStore();
  const socket = (message as { socket?: Socket }).socket;
  if (mine !== undefined && !mine.settled && socket !== undefined) mine.sockets.add(socket);
});

/** Runs `open`; when it rejects, destroys every socket it had opened, then rethrows. */
export async function closingSocketsOnFailure<T>(open: () => Promise<T>): Promise<T> {
  const mine: Attempt = { sockets: new Set(), settled: false };
  underWay++;
  try {
    return await attempt.run(mine, open);
  } catch (err) {
    for (const socket of mine.sockets) socket.destroy();
    throw err;
  } finally {
    mine.settled = true;
    mine.sockets.clear();
    // The next run() enables it again; resources created meanwhile carry a settled attempt.
    if (--underWay === 0) attempt.disable();
  }
}

/**
 * Whether this async context belongs to a connect attempt. A connection's callbacks inherit its
 * attempt's context; once no attempt is under way they must see none (the hooks are off).
 */
export function inConnectAttempt(): boolean {
  return attempt.getStore() !== undefined;
}
