/**
 * Fails a pending request with DISCONNECTED as soon as the broker connection drops, instead of
 * letting it run into its timeout: a caller can tell "the bus is away" from "the agent is slow".
 */
import type { Driver } from '@fsbus/transport';
import { ClientError, ClientErrorCode } from './errors.js';

export async function whileConnected<T>(driver: Driver, what: string, run: () => Promise<T>): Promise<T> {
  if (driver.status !== 'connected') {
    throw new ClientError(ClientErrorCode.DISCONNECTED, `${what}: the broker connection is ${driver.status}`);
  }
  let off: (() => void) | undefined;
  const lost = new Promise<never>((_resolve, reject) => {
    off = driver.on((e) => {
      if (e.type === 'status' && (e.status === 'reconnecting' || e.status === 'closed')) {
        reject(new ClientError(ClientErrorCode.DISCONNECTED, `${what}: the broker connection was lost (${e.status})`));
      }
    });
  });
  const pending = run();
  // Whichever loses the race must not surface as an unhandled rejection.
  pending.catch(() => undefined);
  lost.catch(() => undefined);
  try {
    return await Promise.race([pending, lost]);
  } finally {
    off?.();
  }
}
