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
import { Socket as NetSocket, type Socket } from 'node:net';

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

/**
 * nats.js's socket under `nc`, or undefined when its internals are not what we know (then nothing
 * is done: nats.js's own way applies). Not public API: nats-core 3.x keeps it at
 * `protocol.transport.socket` (the Node transport).
 */
function socketOf(nc: unknown): Socket | undefined {
  const socket = (nc as { protocol?: { transport?: { socket?: unknown } } }).protocol?.transport?.socket;
  return socket instanceof NetSocket ? socket : undefined;
}

/**
 * nats.js found the connection stale (its PINGs unanswered) and is closing it, but it first waits
 * for its queued writes to drain: into a link that reads nothing (a frozen server, a middlebox
 * that stopped forwarding) they never do, and the connection looked up until the server read
 * again, however long. With writes queued, the socket is destroyed instead: the pending write
 * fails, nats.js's close goes on, and its reconnect starts. Whatever was queued was lost with the
 * link either way.
 */
export function dropStaleSocket(nc: unknown): boolean {
  const socket = socketOf(nc);
  if (socket === undefined || socket.destroyed || socket.writableLength === 0) return false;
  socket.destroy();
  return true;
}
