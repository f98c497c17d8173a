/**
 * An NKey seed checked the way the NATS driver reads it when it signs the server's nonce
 * (nats-options.ts: trimmed, then @nats-io/nkeys' fromSeed), so that a malformed one can be told
 * as the user's setting before connecting, not as `cannot connect … nkeys: invalid checksum`.
 */
import { fromSeed } from '@nats-io/nkeys';

/** Why `seed` is no NKey seed (nkeys' reason: encoding, checksum, prefix), or undefined. Never quotes the seed: it is a secret. */
export function nkeySeedProblem(seed: string): string | undefined {
  try {
    fromSeed(new TextEncoder().encode(seed.trim()));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : 'unreadable';
  }
}
