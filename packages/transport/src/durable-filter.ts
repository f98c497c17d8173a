/**
 * A durable consumer's name belongs to the filter it was made with: every driver refuses another
 * one (NATS: the consumer's filter subject; the others filter on the client and would acknowledge
 * for good what the first filter wanted). One refusal, in the same words on every driver.
 */
import { TransportError, TransportErrorCode } from './errors.js';

const describe = (filter: string): string => (filter === '' ? 'every subject' : `'${filter}'`);

/** `had`/`filter`: '' = every subject. `free`: how to delete the durable on that broker. */
export function durableFilterRefused(durable: string, stream: string, had: string, filter: string, free: string): TransportError {
  return new TransportError(
    TransportErrorCode.BROKER,
    `durable consumer '${durable}' of stream ${stream} reads ${describe(had)}, not ${describe(filter)}: use another durable name for this pattern, or ${free}`,
  );
}
