/**
 * An NKey seed checked the way the NATS driver reads it when it signs the server's nonce
 * (nats-options.ts: trimmed, then @nats-io/nkeys' fromSeed), so that a malformed one can be told
 * as the user's setting before connecting, not as `cannot connect … nkeys: invalid checksum`.
 */
import { createRequire } from 'node:module';

type FromSeed = (src: Uint8Array) => unknown;

/** Loaded on first use: every import of @fsbus/transport (agents on any driver, each CLI run) would pay for it otherwise. */
let fromSeed: FromSeed | undefined;

/** What a seed looks like, for a message about one that is none (the user's public key is the usual slip). */
export const NKEY_SEED_FORM = "a user's seed is 58 characters starting with SU, as `nk -gen user` prints it (not the user's public key, starting with U)";

/** Why `seed` is no NKey seed (nkeys' reason: encoding, checksum, prefix), or undefined. Never quotes the seed: it is a secret. */
export function nkeySeedProblem(seed: string): string | undefined {
  fromSeed ??= (createRequire(import.meta.url)('@nats-io/nkeys') as { fromSeed: FromSeed }).fromSeed;
  try {
    fromSeed(new TextEncoder().encode(seed.trim()));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : 'unreadable';
  }
}
