/**
 * Closing amqplib connections and channels without hanging. amqplib settles close() when the
 * broker's CloseOk arrives; if the socket dies first the connection (and its channels) emit
 * 'close' but the promise is never settled, so a close() racing a lost connection waited for ever.
 */
import type { EventEmitter } from 'node:events';
import { onceEvent, unlessInterrupted } from '../../interruptible.js';

interface Closable extends EventEmitter {
  close(): Promise<void>;
}

/** Resolves once `target` is closed: its CloseOk arrived, it closed otherwise, or close() failed. Never rejects. */
export function closeAmqp(target: Closable | undefined): Promise<void> {
  if (target === undefined) return Promise.resolve();
  // A target already closed refuses close() (synchronously for a channel): nothing is left to wait for.
  const closing = Promise.resolve().then(() => target.close());
  return unlessInterrupted(closing, (stop) => onceEvent(target, 'close', () => stop(new Error('closed')))).catch(() => undefined);
}

/**
 * The broker's reply code and text when it closed a connection or channel itself, from amqplib's
 * error (`Connection closed: 541 (INTERNAL-ERROR) with message "INTERNAL_ERROR"`); undefined for
 * a lost socket, a missed heartbeat or the client's own close.
 */
export function brokerCloseReason(err: unknown): { code: number; reason: string } | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'number') return undefined;
  const text = /with message "(.*)"$/s.exec(err.message)?.[1];
  return { code, reason: text ?? err.message };
}

/**
 * True when the broker refused the connection while it opened (amqplib: `Handshake terminated by
 * server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused…"`, a 530 for a
 * vhost): a refusal worth reporting, unlike a broker not there yet.
 */
export function refusedHandshake(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('Handshake terminated by server');
}
