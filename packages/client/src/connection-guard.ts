/**
 * Ends a pending request as soon as it can no longer be answered, instead of letting it run into
 * its timeout: DISCONNECTED when the broker connection drops (a caller can tell "the bus is away"
 * from "the agent is slow"), CLOSED when the client is closed under it.
 */
import type { Driver } from '@fsbus/transport';
import { ClientError, ClientErrorCode } from './errors.js';

/** The parts of the client a guarded request watches. */
export interface GuardedCore {
  readonly driver: Driver;
  isClosed(): boolean;
  /** Runs `fn` once when the client closes (close() waits for what it returns); returns a function that unregisters it. */
  onClose(fn: () => void | Promise<void>): () => void;
}

export async function whileConnected<T>(core: GuardedCore, what: string, run: () => Promise<T>): Promise<T> {
  const driver = core.driver;
  if (core.isClosed()) throw new ClientError(ClientErrorCode.CLOSED, `${what}: the client is closed`);
  if (driver.status !== 'connected') {
    throw new ClientError(ClientErrorCode.DISCONNECTED, `${what}: the broker connection is ${driver.status}`);
  }
  const offs: Array<() => void> = [];
  const ended = new Promise<never>((_resolve, reject) => {
    const closed = (): void => reject(new ClientError(ClientErrorCode.CLOSED, `${what}: the client was closed while it was pending`));
    offs.push(core.onClose(closed));
    offs.push(
      driver.on((e) => {
        if (e.type !== 'status' || (e.status !== 'reconnecting' && e.status !== 'closed')) return;
        // The driver of a closing client closes too: that is the close, not a lost broker.
        if (core.isClosed()) closed();
        else reject(new ClientError(ClientErrorCode.DISCONNECTED, `${what}: the broker connection was lost (${e.status})`));
      }),
    );
  });
  const pending = run();
  // Whichever loses the race must not surface as an unhandled rejection.
  pending.catch(() => undefined);
  ended.catch(() => undefined);
  try {
    return await Promise.race([pending, ended]);
  } finally {
    for (const off of offs) off();
  }
}
